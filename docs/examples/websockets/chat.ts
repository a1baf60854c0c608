import { Application, SessionMiddleware, type WebSocket } from 'stackware';

export const app = new Application();
app.addMiddleware(SessionMiddleware, { secretKey: process.env.SECRET_KEY ?? 'dev-only-secret: set SECRET_KEY in production' });

/** The open chat sockets of this process. */
const connections = new Set<WebSocket>();

/** Sends `text` to every open socket; one that is gone or slow does not stop the others. */
async function broadcast(text: string): Promise<void> {
  await Promise.allSettled([...connections].map((ws) => ws.sendText(text)));
}

app.post('/login/{name}', (request) => {
  request.session.name = request.pathParams.name;
  return { name: request.pathParams.name };
});

app.websocket('/chat', async (ws) => {
  const name = ws.session.name;
  // Not logged in: refused before the upgrade (an HTTP 403).
  if (typeof name !== 'string') return ws.close();
  await ws.accept();
  connections.add(ws);
  try {
    await broadcast(`${name} joined`);
    for await (const text of ws.iterText()) await broadcast(`${name}: ${text}`);
  } finally {
    connections.delete(ws);
    await broadcast(`${name} left`);
  }
});
