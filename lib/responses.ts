import { AsyncLocalStorage } from 'node:async_hooks';
import { BackgroundTasks } from './background';
import { serializeCookie, type CookieOptions } from './cookies';
import { Headers, checkValue, type HeadersInit } from './headers';

/** What a response body is made of when it streams. */
export type BodyChunk = string | Uint8Array;

/** Options shared by every response class. */
export interface ResponseInit {
  /** HTTP status; 200 unless the class says otherwise. */
  statusCode?: number;
  /** Initial headers; `content-length` and `content-type` are added unless given here. */
  headers?: HeadersInit;
  /** The media type for `content-type`; text types get `; charset=utf-8`. */
  mediaType?: string;
  /** Tasks to run once this response has been completely sent. */
  background?: BackgroundTasks;
}

const EMPTY = new Uint8Array(0);
const runDirectly = <T>(step: () => T): T => step();
const encoder = new TextEncoder();

// Media types seen so far, with the `content-type` value each gives, checked once (a few at most
// in a real application; the cap keeps a stream of odd ones from growing it).
const contentTypes = new Map<string, string>();

/** The `content-type` value for `mediaType`: text types get `; charset=utf-8`. Validated like any header value. */
function contentTypeFor(mediaType: string): string {
  let value = contentTypes.get(mediaType);
  if (value === undefined) {
    const charset = mediaType.startsWith('text/') && !mediaType.includes('charset=') ? '; charset=utf-8' : '';
    value = checkValue('content-type', mediaType + charset);
    if (contentTypes.size < 64) contentTypes.set(mediaType, value);
  }
  return value;
}

/** True for the statuses whose responses never carry a body: 1xx, 204, 205 and 304. */
export function bodyless(statusCode: number): boolean {
  return statusCode < 200 || statusCode === 204 || statusCode === 205 || statusCode === 304;
}

/** True when the answer to `method` with `statusCode` carries no body on the wire (HEAD, 1xx, 204, 205, 304). */
export function sendsNoBody(method: string, statusCode: number): boolean {
  return method === 'HEAD' || bodyless(statusCode);
}

/** Stops a streaming body that will not be sent (its iterator's `return()`), reporting nothing. */
export function discardBody(response: Response): void {
  const body = response.bodyIterator;
  if (body === null) return;
  try {
    const iterator = body[Symbol.asyncIterator]();
    Promise.resolve(response.runInContext(() => iterator.return?.(undefined))).catch(() => undefined);
  } catch {
    // A body that cannot even be opened has nothing to stop.
  }
}

/**
 * An HTTP response. The same object travels out through every middleware, which may change
 * its `statusCode` and `headers` in place, or replace it.
 *
 * A fixed body lives in `body` (bytes, with `content-length` set at construction). A streaming
 * body lives in `bodyIterator`; a middleware may wrap that iterator to transform the stream.
 */
export class Response {
  /** The class's default media type (Starlette's `media_type` class attribute). */
  static readonly mediaType: string | null = null;

  /** The HTTP status code; 200 unless given. */
  statusCode: number;
  /** The response headers, changed in place. */
  readonly headers: Headers;
  /** The media type given, else the class's; sets `content-type` at construction unless that was given. Null: none. */
  mediaType: string | null;
  #background: BackgroundTasks | undefined;
  // The fixed body is kept as the text it was rendered from until someone asks for bytes: the
  // node adapter then hands the string to `res.end`, which skips one encode-and-copy per response.
  private fixedBytes: Uint8Array = EMPTY;
  private fixedText: string | null = null;
  /** The streaming body, or null when the body is fixed. */
  bodyIterator: AsyncIterable<BodyChunk> | null = null;
  /**
   * Runs a step of the streaming body in the async context the response was created in, so that
   * `AsyncLocalStorage` values set by middleware are visible inside the body's generator.
   */
  runInContext: <T>(step: () => T) => T = runDirectly;
  /**
   * Always undefined: a response is never a promise (and a subclass cannot make it one). Every
   * promise resolved with a response looks up `then` on it; an own slot ends that lookup at the
   * instance instead of at `Object.prototype`, through every class of the chain (about 150 CPU
   * instructions each time, a few times per layer). One visible effect: `'then' in response` is
   * true, so tell a promise from a response with `instanceof Promise` or
   * `typeof value.then === 'function'`, not with `in`.
   */
  protected readonly then: undefined = undefined;

  constructor(content?: unknown, init: ResponseInit = {}) {
    this.statusCode = init.statusCode ?? 200;
    this.headers = new Headers(init.headers);
    this.mediaType = init.mediaType ?? (this.constructor as typeof Response).mediaType;
    this.background = init.background;
    this.storeBody(this.render(content));
    this.initHeaders(true);
  }

  /**
   * Tasks to run once the response has been completely sent, if any. Assigning tasks to a response
   * that has some already keeps the earlier ones, which run first: every layer that sets a
   * `background` on its way out (as a Starlette middleware does) gets its tasks run, innermost
   * first. Assigning the same tasks again changes nothing; assigning `undefined` drops them all.
   */
  get background(): BackgroundTasks | undefined {
    return this.#background;
  }

  /** Adds `tasks` after the ones the response has (once, however often assigned); `undefined` drops them all. */
  set background(tasks: BackgroundTasks | undefined) {
    const current = this.#background;
    if (tasks === undefined || current === undefined) this.#background = tasks;
    else if (!current.includes(tasks)) this.#background = BackgroundTasks.sequence(current, tasks);
  }

  /** The fixed body, as bytes; empty for a streaming response. Setting it does not change `content-length` (see {@link Response.setBody}). */
  get body(): Uint8Array {
    if (this.fixedText !== null) {
      this.fixedBytes = Buffer.from(this.fixedText, 'utf8');
      this.fixedText = null;
    }
    return this.fixedBytes;
  }

  /** Replaces the fixed body; `content-length` is left as it was (see {@link Response.setBody}). */
  set body(bytes: Uint8Array) {
    this.fixedBytes = bytes;
    this.fixedText = null;
  }

  /** @internal The fixed body as text, when it was rendered from text and never read as bytes. */
  get bodyText(): string | null {
    return this.fixedText;
  }

  /** Turns content into the fixed body (text or bytes); subclasses override it (JSON, for one). */
  protected render(content: unknown): BodyChunk {
    if (content === undefined || content === null) return EMPTY;
    if (typeof content === 'string' || content instanceof Uint8Array) return content;
    throw new TypeError(`${this.constructor.name} content must be a string or a Uint8Array, got ${typeof content}`);
  }

  private storeBody(content: BodyChunk): void {
    if (typeof content === 'string') {
      this.fixedText = content;
      this.fixedBytes = EMPTY;
    } else {
      this.body = content;
    }
  }

  /** The fixed body's size in bytes, without encoding text to find it out. */
  private bodyLength(): number {
    return this.fixedText !== null ? Buffer.byteLength(this.fixedText, 'utf8') : this.fixedBytes.byteLength;
  }

  /** Sets `content-length` (for a fixed body) and `content-type`, unless given. */
  protected initHeaders(fixedLength: boolean): void {
    if (fixedLength && !this.headers.has('content-length') && !bodyless(this.statusCode)) {
      this.headers.appendTrusted('content-length', String(this.bodyLength()));
    }
    if (this.mediaType !== null && !this.headers.has('content-type')) {
      this.headers.appendTrusted('content-type', contentTypeFor(this.mediaType));
    }
  }

  /** Replaces the body with fixed bytes (or text) and updates `content-length`. */
  setBody(content: BodyChunk): void {
    this.storeBody(content);
    this.bodyIterator = null;
    if (!bodyless(this.statusCode)) this.headers.set('content-length', String(this.bodyLength()));
  }

  /**
   * The whole body as bytes. For a streaming response this reads the stream to its end and keeps
   * the result as the fixed body, so the response can still be sent afterwards.
   */
  async bytes(): Promise<Uint8Array> {
    if (this.bodyIterator === null) return this.body;
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.bodyIterator) chunks.push(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
    this.bodyIterator = null;
    this.body = Buffer.concat(chunks);
    return this.body;
  }

  /** The whole body decoded as UTF-8 (see {@link Response.bytes}). */
  async text(): Promise<string> {
    if (this.bodyIterator === null && this.fixedText !== null) return this.fixedText;
    return new TextDecoder().decode(await this.bytes());
  }

  /** Appends a `set-cookie` header. */
  setCookie(name: string, value = '', options: CookieOptions = {}): void {
    this.headers.append('set-cookie', serializeCookie(name, value, options));
  }

  /** Appends a `set-cookie` header that expires the cookie now. */
  deleteCookie(name: string, options: Omit<CookieOptions, 'maxAge' | 'expires'> = {}): void {
    this.setCookie(name, '', { ...options, maxAge: 0, expires: new Date(0) });
  }
}

/** A `text/plain` response. */
export class PlainTextResponse extends Response {
  static override readonly mediaType: string | null = 'text/plain';
}

/** A `text/html` response. */
export class HTMLResponse extends Response {
  static override readonly mediaType: string | null = 'text/html';
}

/** A response whose content is serialized with `JSON.stringify` (compact, as FastAPI's). */
export class JSONResponse extends Response {
  static override readonly mediaType: string | null = 'application/json';

  protected override render(content: unknown): BodyChunk {
    return JSON.stringify(content) ?? 'null';
  }
}

const URL_SAFE = /[^A-Za-z0-9\-._~:/%#?=@[\]!$&'()*+,;]/gu;

/** A redirect to `url` (307 by default); unsafe characters in the URL are percent-encoded. */
export class RedirectResponse extends Response {
  constructor(url: string | URL, statusCode = 307, init: Omit<ResponseInit, 'statusCode'> = {}) {
    super(null, { ...init, statusCode });
    const target = String(url);
    if (/[\r\n\0]/.test(target)) throw new TypeError('Redirect URL must not contain CR, LF or NUL');
    this.headers.set('location', target.replace(URL_SAFE, encodeURIComponent));
  }
}

/** What a {@link StreamingResponse} can stream: async or sync iterables (Node `Readable`s are async iterables). */
export type StreamContent = AsyncIterable<BodyChunk> | Iterable<BodyChunk>;

async function* fromSync(iterable: Iterable<BodyChunk>): AsyncGenerator<BodyChunk> {
  yield* iterable;
}

/**
 * A response whose body is produced chunk by chunk, and written as it is produced: it is never
 * buffered on its way out through the middleware. The iterator is stopped (`return()`) when the
 * client goes away.
 */
export class StreamingResponse extends Response {
  constructor(content: StreamContent, init: ResponseInit = {}) {
    super(null, init);
    if (typeof content === 'string' || content instanceof Uint8Array) {
      throw new TypeError('StreamingResponse content must be an iterable of chunks; use Response for a fixed body');
    }
    this.bodyIterator = Symbol.asyncIterator in content ? content : fromSync(content);
    this.runInContext = AsyncLocalStorage.snapshot();
  }

  protected override initHeaders(): void {
    super.initHeaders(false);
  }
}
