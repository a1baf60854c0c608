// Load for the websocket echo benchmark: C connections to ws://127.0.0.1:PORT/echo, each sending a
// 64-byte text message and waiting for its echo, over and over, for S seconds. Prints the round
// trips completed as JSON. Run pinned to the client core by bench/ws-bench.ts.
import { WebSocket } from 'ws';

const [port, connections, seconds] = process.argv.slice(2).map(Number);
const payload = 'x'.repeat(64);
let trips = 0;
let errors = 0;
let stopAt = 0;
const sockets = await Promise.all(
  Array.from({ length: connections }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })),
);
stopAt = performance.now() + seconds * 1000;
await Promise.all(
  sockets.map((ws) => new Promise((resolve) => {
    ws.on('message', (data) => {
      if (data.toString() !== payload) errors++;
      trips++;
      if (performance.now() < stopAt) ws.send(payload);
      else resolve();
    });
    ws.send(payload);
  })),
);
for (const ws of sockets) ws.terminate();
process.stdout.write(JSON.stringify({ trips, errors }) + '\n');
