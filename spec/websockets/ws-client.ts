// A real `ws` client over a real socket, with every wait bounded.
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket as WsClient, type ClientOptions } from 'ws';
import type { Application } from 'stackware';
import { within } from '../helpers';

export { WsClient };

/** A served application and the clients opened against it; `close()` drops the clients, then closes the server. */
export interface Served {
  server: Server;
  url: string;
  http: string;
  clients: Set<WsClient>;
  open(path: string, options?: ClientOptions & { protocols?: string[] }): Promise<WsClient>;
  refused(path: string, options?: ClientOptions): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

/** Serves `app`, runs `body` against it, and closes clients and server whatever `body` did. */
export async function usingServed(app: Application, body: (served: Served) => Promise<void>): Promise<void> {
  const served = await serveWs(app);
  try {
    await body(served);
  } finally {
    await served.close();
  }
}

export async function serveWs(app: Application): Promise<Served> {
  const server = await app.listen(0, '127.0.0.1', { shutdownTimeout: 5 });
  const { port } = server.address() as AddressInfo;
  const url = `ws://127.0.0.1:${port}`;
  const clients = new Set<WsClient>();
  const make = (path: string, options: ClientOptions & { protocols?: string[] } = {}): WsClient => {
    const { protocols, ...rest } = options;
    const ws = new WsClient(url + path, protocols ?? [], rest);
    buffer(ws);
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    return ws;
  };
  return {
    server,
    url,
    http: `http://127.0.0.1:${port}`,
    clients,
    open: (path, options) => opened(make(path, options)),
    refused: (path, options) => unexpected(make(path, options)),
    close: () =>
      within(
        new Promise<void>((resolve) => {
          for (const ws of clients) ws.terminate();
          server.closeAllConnections();
          server.close(() => resolve());
        }),
        5000,
        'the server to close',
      ),
  };
}

/** Resolves once the client is open; rejects with the error or the unexpected response. */
export function opened(ws: WsClient): Promise<WsClient> {
  return within(
    new Promise<WsClient>((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected-response ${res.statusCode}`)));
    }),
    3000,
    'the websocket to open',
  );
}

/** Resolves with the HTTP answer a refused handshake got (the client's `unexpected-response`). */
export function unexpected(ws: WsClient): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return within(
    new Promise((resolve, reject) => {
      ws.once('open', () => reject(new Error('The websocket opened')));
      ws.once('error', (error) => reject(error));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          ws.terminate();
        });
      });
    }),
    3000,
    'the handshake to be refused',
  );
}

const inboxes = new WeakMap<WsClient, { messages: Array<string | Buffer>; waiters: Array<(message: string | Buffer) => void> }>();

/** Keeps every message `ws` receives from now on, for {@link nextMessage} (one may arrive with the 'open'). */
export function buffer(ws: WsClient): WsClient {
  const inbox = { messages: [] as Array<string | Buffer>, waiters: [] as Array<(message: string | Buffer) => void> };
  inboxes.set(ws, inbox);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const message = isBinary ? data : data.toString();
    const waiter = inbox.waiters.shift();
    if (waiter !== undefined) waiter(message);
    else inbox.messages.push(message);
  });
  return ws;
}

/** The next message, text as a string, binary as a Buffer. */
export function nextMessage(ws: WsClient, ms = 2000): Promise<string | Buffer> {
  const inbox = inboxes.get(ws);
  if (inbox === undefined) throw new Error('nextMessage needs a client made by serveWs (or buffer())');
  const ready = inbox.messages.shift();
  if (ready !== undefined) return Promise.resolve(ready);
  return within(new Promise((resolve) => inbox.waiters.push(resolve)), ms, 'a websocket message');
}

/** The close code and reason the client saw. */
export function closed(ws: WsClient, ms = 2000): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WsClient.CLOSED) return Promise.reject(new Error('already closed'));
  return within(
    new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }))),
    ms,
    'the websocket to close',
  );
}
