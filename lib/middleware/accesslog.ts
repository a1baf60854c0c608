import { STATUS_CODES } from 'node:http';
import type { ResponseFinished } from '../finish';
import type { Request } from '../requests';
import type { Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';

/** Options of {@link AccessLogMiddleware}. */
export interface AccessLogOptions {
  /**
   * `'text'` (default): uvicorn's line, `INFO:     127.0.0.1:54321 - "GET /items/7?q=1 HTTP/1.1" 200 OK 3.1ms`.
   * `'json'`: one JSON object per line, for log shippers.
   */
  format?: 'text' | 'json';
  /** Where each line goes; `process.stdout` by default. */
  write?: (line: string) => void;
}

/** What one access-log line says, in the `json` format. */
export interface AccessLogRecord {
  /** When the response finished, ISO 8601. */
  time: string;
  /** `host:port` of the client (the proxy-aware one), or null when unknown. */
  client: string | null;
  /** The request method. */
  method: string;
  /** The path and query, as sent. */
  path: string;
  /** The route template that answered (`/items/{id:int}`), when one did. */
  route?: string;
  /** The status sent. */
  status: number;
  /** Body bytes sent. */
  bytes: number;
  /** False when the client went away before the last byte. */
  completed: boolean;
  /** Milliseconds from arrival to the last byte (or the disconnect). */
  duration_ms: number;
  /** The id `RequestIdMiddleware` gave the request, when it is installed. */
  request_id?: string;
}

const writeStdout = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * One line per request, written when the response has finished (its last byte flushed, or the
 * client gone: `completed: false`), so a stream's line carries its whole duration. Stands on
 * {@link Request.onFinish}; the client is {@link Request.client} at that time, so behind a trusted
 * proxy it is the address `ProxyHeadersMiddleware` settled on. `stackware serve` installs it
 * (`--access-log-format`, `--no-access-log`).
 *
 * @example
 * ```ts
 * app.addMiddleware(AccessLogMiddleware, { format: 'json' });
 * ```
 */
export class AccessLogMiddleware extends BaseHTTPMiddleware<AccessLogOptions | undefined> {
  private readonly json: boolean;
  private readonly write: (line: string) => void;

  constructor(app: HTTPApp, options?: AccessLogOptions) {
    super(app, options);
    const format = options?.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new TypeError(`AccessLogMiddleware format must be 'text' or 'json', got ${JSON.stringify(format)}`);
    this.json = format === 'json';
    this.write = options?.write ?? writeStdout;
  }

  override dispatch(request: Request, callNext: CallNext): Promise<Response> {
    request.onFinish((finished) => this.write(this.json ? JSON.stringify(record(request, finished)) : textLine(request, finished)));
    return callNext(request);
  }
}

function clientText(request: Request): string | null {
  const client = request.client;
  if (client === null) return null;
  return client.host.includes(':') ? `[${client.host}]:${client.port}` : `${client.host}:${client.port}`;
}

function target(request: Request): string {
  const url = request.url;
  return url.pathname + url.search;
}

function textLine(request: Request, finished: ResponseFinished): string {
  const phrase = STATUS_CODES[finished.statusCode] ?? '';
  const cut = finished.completed ? '' : ' (client gone)';
  return (
    `INFO:     ${clientText(request) ?? '-'} - "${request.method} ${target(request)} HTTP/${request.httpVersion}" ` +
    `${finished.statusCode} ${phrase} ${finished.durationMs.toFixed(1)}ms${cut}`
  );
}

function record(request: Request, finished: ResponseFinished): AccessLogRecord {
  const out: AccessLogRecord = {
    time: new Date().toISOString(),
    client: clientText(request),
    method: request.method,
    path: target(request),
    status: finished.statusCode,
    bytes: finished.bytesSent,
    completed: finished.completed,
    duration_ms: Math.round(finished.durationMs * 100) / 100,
  };
  if (request.routeTemplate !== undefined) out.route = request.routeTemplate;
  const id = (request.state as { requestId?: unknown }).requestId;
  if (typeof id === 'string') out.request_id = id;
  return out;
}
