import { request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Headers, Request, type Application, type ErrorLogger, type HeadersInit, type RequestApp, type RequestSource } from 'stackware';

/** A logger that records what it is told instead of printing it. */
export function recordingLogger(): ErrorLogger & { errors: Array<{ message: string; error: unknown }> } {
  const errors: Array<{ message: string; error: unknown }> = [];
  return { errors, error: (message, error) => errors.push({ message, error }) };
}

/** Starts `app` on an ephemeral 127.0.0.1 port; `close()` ends it and its open connections. */
export async function serve(app: Application): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = await app.listen(0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Rejects after `ms` with a message, so a broken feature fails fast instead of hanging. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` every 10 ms until it holds; fails naming `what` after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 3000): Promise<void> {
  await within(
    (async () => {
      while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
    ms,
    what,
  );
}

/** Sends a raw request and resolves with the response head (the body is left to the caller). */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; path?: string } = {}): Promise<IncomingMessage> {
  const target = new URL(options.path ?? '/', url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, { method: options.method ?? 'GET', headers: options.headers, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes and resolves with everything the server answers until it closes or `ms` pass. */
export function rawExchange(url: string, text: string, ms = 1000): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', reject);
  });
}

/** Sends a raw request and reads the whole response: status, headers and body bytes, nothing decoded. */
export async function requestBytes(
  url: string,
  options: { method?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  const res = await rawRequest(url, options);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}

/**
 * `describe` when the component a suite needs is there; otherwise a suite of one failing test whose
 * message says what is missing and how to get it, so a missing component never passes silently.
 */
export function describeWith(available: boolean, missing: string): (name: string, body: () => void) => void {
  if (available) return describe;
  return (name) =>
    describe(name, () => {
      it(`needs ${missing}`, () => {
        throw new Error(`Cannot run "${name}": ${missing}`);
      });
    });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a request that does not go through Node is made of (all optional). */
export interface FakeRequestInit {
  method?: string;
  target?: string;
  scheme?: string;
  headers?: HeadersInit;
  body?: readonly string[];
  onDisconnect?: (listener: () => void) => void;
}

/** A request source that does not go through Node: any scheme, any (or no) Host header. */
export function fakeSource(init: FakeRequestInit = {}): RequestSource {
  const chunks = init.body ?? [];
  return {
    method: init.method ?? 'GET',
    target: init.target ?? '/',
    scheme: init.scheme ?? 'http',
    headers: () => new Headers(init.headers ?? { host: 'example.com' }),
    client: () => ({ host: '10.0.0.1', port: 1234 }),
    body: async function* () {
      for (const chunk of chunks) yield Buffer.from(chunk);
    },
    onDisconnect: init.onDisconnect ?? (() => undefined),
  };
}

/** A {@link Request} over {@link fakeSource}. */
export function fakeRequest(init: FakeRequestInit = {}, app?: RequestApp): Request {
  return new Request(fakeSource(init), app);
}

/** A promise and the function that resolves it, to hold code until a test lets it go on. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
