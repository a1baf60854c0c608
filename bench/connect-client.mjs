// Load for bench/connect-bench.ts, in its own process so the server's CPU is measured alone:
// `node connect-client.mjs URL COUNT CONCURRENCY` sends COUNT keep-alive GETs, CONCURRENCY at a time.
import { Agent, request } from 'node:http';

const [url, countArg, concurrencyArg] = process.argv.slice(2);
const count = Number(countArg);
const concurrency = Number(concurrencyArg);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
let sent = 0;
let failed = 0;

function one() {
  return new Promise((resolve) => {
    const req = request(`${url}/users/${sent}`, { agent }, (res) => {
      if (res.statusCode !== 200) failed++;
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', () => {
      failed++;
      resolve();
    });
    req.end();
  });
}

async function worker() {
  while (sent < count) {
    sent++;
    await one();
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
agent.destroy();
if (failed > 0) {
  console.error(`${failed} requests failed`);
  process.exit(1);
}
