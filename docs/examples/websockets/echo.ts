import { Application } from 'stackware';

export const app = new Application();

app.get('/', () => ({ message: 'Hello World' }));

app.websocket('/echo', async (ws) => {
  await ws.accept();
  // The loop ends when the client closes; the socket is closed with 1000 when the handler returns.
  for await (const text of ws.iterText()) await ws.sendText(`Message was: ${text}`);
});
