import { BackgroundTasks } from './background';
import { parseCookies } from './cookies';
import { HTTPException } from './exceptions';
import { Headers } from './headers';
import type { HTTPApp } from './middleware/base';
import type { ExceptionHandlers } from './middleware/exceptions';

/** The peer of the connection. */
export interface Client {
  host: string;
  port: number;
}

/**
 * What an adapter hands to a {@link Request}: the raw parts of the incoming message, read lazily.
 * Only adapters implement it; nothing else in the stack knows which adapter is in front.
 */
export interface RequestSource {
  readonly method: string;
  /** The request target as received: path and query, still percent-encoded. */
  readonly target: string;
  readonly scheme: string;
  headers(): Headers;
  client(): Client | null;
  /** The raw body, in chunks as they arrive. Called at most once. */
  body(): AsyncIterable<Uint8Array>;
  /** Calls `listener` once if the client goes away before the response is complete. */
  onDisconnect(listener: () => void): void;
}

/** The application-level settings a request reads (kept small so any `HTTPApp` can be an app). */
export interface RequestApp extends HTTPApp {
  readonly maxBodySize?: number;
  readonly exceptionHandlers?: ExceptionHandlers;
}

const DEFAULT_MAX_BODY_SIZE = 1024 * 1024;
const decoder = new TextDecoder();

/** Decodes a percent-encoded path; a malformed escape is a client error (400). */
export function decodePath(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HTTPException(400, 'Malformed percent-encoding in the request path');
  }
}

/**
 * An incoming HTTP request. One object per request travels through every layer, so what a
 * middleware reads or sets (`state`, a body already read) is there for the endpoint too.
 * URL, headers, query and cookies are parsed on first access only.
 */
export class Request<State extends object = Record<string, unknown>> {
  readonly method: string;
  /** The application serving the request (the innermost mounted one, inside a mount). */
  app: RequestApp | undefined;
  /** Path parameters of the matched route, converted by their convertors. */
  pathParams: Record<string, unknown> = {};
  /** The path prefix consumed by mounts on the way in (Starlette's `root_path`). */
  rootPath = '';

  private readonly source: RequestSource;
  private cachedUrl: URL | undefined;
  private cachedHeaders: Headers | undefined;
  private cachedQuery: URLSearchParams | undefined;
  private cachedCookies: Record<string, string> | undefined;
  private cachedState: State | undefined;
  private cachedBody: Promise<Uint8Array> | undefined;
  private cachedJson: Promise<unknown> | undefined;
  private cachedPath: string | undefined;
  private controller: AbortController | undefined;
  private tasks: BackgroundTasks | undefined;
  private streamConsumed = false;
  private attachedSession: Record<string, unknown> | undefined;
  private onSessionAccess: (() => void) | undefined;

  constructor(source: RequestSource, app?: RequestApp) {
    this.source = source;
    this.method = source.method;
    this.app = app;
  }

  /** The full URL, built from the scheme, the `Host` header and the request target. */
  get url(): URL {
    if (this.cachedUrl === undefined) this.cachedUrl = this.buildUrl();
    return this.cachedUrl;
  }

  /** The percent-decoded path, as routing sees it (mount prefixes included). */
  get path(): string {
    if (this.cachedPath === undefined) {
      const target = this.source.target;
      const q = target.indexOf('?');
      const raw = target.startsWith('/') ? (q === -1 ? target : target.slice(0, q)) : this.url.pathname;
      this.cachedPath = decodePath(raw);
    }
    return this.cachedPath;
  }

  get headers(): Headers {
    return (this.cachedHeaders ??= this.source.headers());
  }

  get queryParams(): URLSearchParams {
    if (this.cachedQuery === undefined) {
      const target = this.source.target;
      const q = target.indexOf('?');
      this.cachedQuery = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
    }
    return this.cachedQuery;
  }

  get cookies(): Record<string, string> {
    return (this.cachedCookies ??= parseCookies(this.headers.get('cookie')));
  }

  get client(): Client | null {
    return this.source.client();
  }

  /** One object per request, shared by every middleware and the endpoint. */
  get state(): State {
    return (this.cachedState ??= {} as State);
  }

  /** Aborted when the client disconnects before the response is complete. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      this.source.onDisconnect(() => controller.abort(new Error('Client disconnected')));
    }
    return this.controller.signal;
  }

  /** Tasks to run after the response has been sent, after the response's own tasks. */
  get backgroundTasks(): BackgroundTasks {
    return (this.tasks ??= new BackgroundTasks());
  }

  /**
   * The session data, a plain object that `SessionMiddleware` loads from the session cookie and
   * saves back when it was changed.
   *
   * @throws Error when no `SessionMiddleware` is installed in front of this request.
   */
  get session(): Record<string, unknown> {
    if (this.attachedSession === undefined) throw new Error('SessionMiddleware must be installed to access request.session');
    this.onSessionAccess?.();
    return this.attachedSession;
  }

  /** @internal Used by `SessionMiddleware`: attaches the session and a callback run on every access. */
  attachSession(session: Record<string, unknown>, onAccess?: () => void): void {
    this.attachedSession = session;
    this.onSessionAccess = onAccess;
  }

  /** @internal The request-scoped tasks, if any were added. */
  pendingTasks(): BackgroundTasks | undefined {
    return this.tasks;
  }

  /** The whole body as bytes; read once and cached, so every layer can read it again. */
  body(): Promise<Uint8Array> {
    if (this.cachedBody === undefined) {
      if (this.streamConsumed) return Promise.reject(new Error('The request body stream was already consumed by request.stream()'));
      this.cachedBody = this.readBody();
    }
    return this.cachedBody;
  }

  async text(): Promise<string> {
    return decoder.decode(await this.body());
  }

  /** The body parsed as JSON; a malformed body is a 400. */
  json<T = unknown>(): Promise<T> {
    this.cachedJson ??= this.text().then((text) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new HTTPException(400, `Invalid JSON body: ${(error as Error).message}`);
      }
    });
    return this.cachedJson as Promise<T>;
  }

  /**
   * The body in chunks as they arrive, without buffering it. After the body was read whole it
   * yields the cached bytes; otherwise the stream can be consumed only once.
   */
  async *stream(): AsyncGenerator<Uint8Array> {
    if (this.cachedBody !== undefined) {
      const body = await this.cachedBody;
      if (body.byteLength > 0) yield body;
      return;
    }
    if (this.streamConsumed) throw new Error('The request body stream was already consumed');
    this.streamConsumed = true;
    yield* this.limited();
  }

  private async readBody(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.limited()) chunks.push(chunk);
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }

  private async *limited(): AsyncGenerator<Uint8Array> {
    const limit = this.app?.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
    const declared = Number(this.headers.get('content-length') ?? NaN);
    if (declared > limit) throw new HTTPException(413, `Request body is larger than ${limit} bytes`);
    let received = 0;
    for await (const chunk of this.source.body()) {
      received += chunk.byteLength;
      if (received > limit) throw new HTTPException(413, `Request body is larger than ${limit} bytes`);
      yield chunk;
    }
  }

  private buildUrl(): URL {
    const target = this.source.target;
    const host = this.headers.get('host') ?? 'localhost';
    if (!target.startsWith('/')) {
      try {
        return new URL(target);
      } catch {
        /* not absolute-form: fall through */
      }
    }
    const path = target.startsWith('/') ? target : `/${target}`;
    try {
      return new URL(`${this.source.scheme}://${host}${path}`);
    } catch {
      return new URL(`${this.source.scheme}://localhost${path}`);
    }
  }
}
