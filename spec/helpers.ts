import { request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Application, ErrorLogger } from 'stackware';

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

/** Sends a raw request and resolves with the response head (the body is left to the caller). */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; path?: string } = {}): Promise<IncomingMessage> {
  const target = new URL(options.path ?? '/', url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, { method: options.method ?? 'GET', headers: options.headers, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
