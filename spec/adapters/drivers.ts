import { request as httpRequest } from 'node:http';
import { Application, type ApplicationOptions } from 'stackware';
import { recordingLogger, serve } from '../helpers';

/** A request of a shared case, as a client would send it. The host is `testserver` unless given. */
export interface CaseRequest {
  method?: string;
  /** Path and query, percent-encoded as sent. */
  path: string;
  headers?: Record<string, string>;
  /** A body sent whole (with `content-length`). */
  body?: string | Uint8Array;
  /** A body sent in these chunks, as a stream (no `content-length`). */
  chunks?: readonly string[];
}

/** What a client received, the same shape whichever adapter served it. */
export interface CaseResult {
  status: number;
  /** Lowercased names; several values joined with `, ` (except `set-cookie`, in `setCookies`). */
  headers: Record<string, string>;
  setCookies: string[];
  body: Buffer;
}

/** Sends one request to an application through one adapter and reads the whole response. */
export interface Driver {
  readonly name: string;
  send(app: Application, request: CaseRequest): Promise<CaseResult>;
}

/** A new application for a case: errors are recorded, not printed. */
export function caseApp(options: ApplicationOptions = {}): Application {
  return new Application({ logger: recordingLogger(), ...options });
}

/** Through `node:http`: a real server on an ephemeral port and a raw client (no decompression). */
export const nodeDriver: Driver = {
  name: 'node',
  async send(app, req) {
    const server = await serve(app);
    try {
      return await new Promise<CaseResult>((resolve, reject) => {
        const headers: Record<string, string> = { host: 'testserver', ...req.headers };
        if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
        const client = httpRequest(new URL(req.path, server.url), { method: req.method ?? 'GET', headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const out: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (name !== 'set-cookie' && value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({ status: res.statusCode ?? 0, headers: out, setCookies: res.headers['set-cookie'] ?? [], body: Buffer.concat(chunks) });
          });
        });
        client.on('error', reject);
        if (req.chunks !== undefined) for (const chunk of req.chunks) client.write(chunk);
        client.end(req.body);
      });
    } finally {
      await server.close();
    }
  },
};

function webBody(req: CaseRequest): { body?: RequestInit['body']; duplex?: 'half' } {
  if (req.body !== undefined) return { body: typeof req.body === 'string' ? req.body : Buffer.from(req.body) };
  if (req.chunks === undefined) return {};
  const chunks = [...req.chunks];
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks.shift();
      if (chunk === undefined) controller.close();
      else controller.enqueue(encoder.encode(chunk));
    },
  });
  return { body: stream, duplex: 'half' };
}

/** Through `app.fetch` with web `Request`/`Response` objects. */
export const fetchDriver: Driver = {
  name: 'fetch',
  async send(app, req) {
    const init: RequestInit & { duplex?: 'half' } = { method: req.method ?? 'GET', headers: req.headers, ...webBody(req) };
    const res = await app.fetch(new Request(new URL(req.path, 'http://testserver'), init));
    const body = Buffer.from(await res.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const [name, value] of res.headers) if (name !== 'set-cookie') headers[name] = value;
    return { status: res.status, headers, setCookies: res.headers.getSetCookie(), body };
  },
};

/** Both adapters. */
export const drivers: readonly Driver[] = [nodeDriver, fetchDriver];
