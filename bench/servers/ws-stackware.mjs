// stackware: a websocket echo at /echo (the handshake through the stack, ws in noServer mode).
import { createServer } from 'node:http';
import { serve, stackware } from './harness.mjs';

const { Application } = stackware();
const app = new Application();
app.websocket('/echo', async (ws) => {
  await ws.accept();
  for await (const message of ws) await (typeof message === 'string' ? ws.sendText(message) : ws.sendBytes(message));
});

const server = createServer(app.callback());
server.on('upgrade', app.upgradeCallback());
serve(server);
