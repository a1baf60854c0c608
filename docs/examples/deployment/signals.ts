import { Application } from 'stackware';

export const app = new Application();
app.get('/', () => ({ message: 'Hello World' }));

export async function start(port = 8000): Promise<import('node:http').Server> {
  const server = await app.listen(port);
  // app.listen() installs no signal handlers: these two lines stop gracefully on SIGTERM and Ctrl+C.
  process.once('SIGTERM', () => server.close());
  process.once('SIGINT', () => server.close());
  return server;
}
