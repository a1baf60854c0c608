import { promisify } from 'node:util';
import {
  brotliCompress,
  brotliCompressSync,
  constants,
  createBrotliCompress,
  createGzip,
  gzip,
  gzipSync,
  type BrotliCompress,
  type BrotliOptions,
  type Gzip,
  type ZlibOptions,
} from 'node:zlib';
import type { Headers } from '../headers';
import type { Request } from '../requests';
import { bodyless, type BodyChunk, type Response } from '../responses';
import type { HTTPApp } from './base';
import { BuiltinMiddleware, type Exit } from './builtin';

/** Options of {@link GZipMiddleware}. */
export interface GZipOptions {
  /** Fixed bodies smaller than this many bytes are sent as they are; 500 by default. */
  minimumSize?: number;
  /** The gzip compression level, 0 (none) to 9 (smallest, the default). */
  compressLevel?: number;
  /**
   * Use brotli (`br`) instead of gzip when the client prefers it: a higher q-value than gzip's,
   * or the same q-value and listed before gzip. True by default.
   */
  brotli?: boolean;
}

/** Content types never compressed (prefixes): server-sent events must reach the client at once. */
const EXCLUDED_CONTENT_TYPES = ['text/event-stream'];
/** The brotli quality used (0 to 11): fast enough for responses compressed on every request. */
const BROTLI_QUALITY = 4;
// From this size on (bytes), a fixed body is compressed off the event loop: gzip at level 9 takes
// tens of milliseconds per megabyte, which would stall every other request meanwhile.
const ASYNC_COMPRESSION_SIZE = 256 * 1024;
const gzipAsync = promisify<Uint8Array, ZlibOptions, Buffer>(gzip);
const brotliAsync = promisify<Uint8Array, BrotliOptions, Buffer>(brotliCompress);

type Encoding = 'gzip' | 'br';

/**
 * A strong ETag names exact bytes: once compressed, the body is other bytes, so its tag becomes
 * weak (`W/"…"`) and no cache or `If-Range` treats the two bodies as the same (RFC 9110 §8.8.1).
 */
function weakenETag(headers: Headers): void {
  const etag = headers.get('etag');
  if (etag !== null && etag.startsWith('"')) headers.set('etag', `W/${etag}`);
}

/** Labels a response as compressed: its coding, a weak ETag, and no `accept-ranges` (ranges count identity bytes). */
function markCompressed(headers: Headers, encoding: Encoding): void {
  headers.set('content-encoding', encoding);
  weakenETag(headers);
  headers.delete('accept-ranges');
}

/**
 * The q-value and position of each coding in an `Accept-Encoding` header (names lower-cased).
 * An entry with a malformed q-value is ignored; the first entry for a coding wins.
 */
function parseAcceptEncoding(header: string): Map<string, { q: number; index: number }> {
  const codings = new Map<string, { q: number; index: number }>();
  header.split(',').forEach((entry, index) => {
    const [name, ...params] = entry.split(';');
    const coding = name.trim().toLowerCase();
    if (coding === '' || codings.has(coding)) return;
    let q = 1;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const text = param.slice(eq + 1).trim();
      q = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(text) ? Number(text) : NaN;
    }
    if (!Number.isNaN(q)) codings.set(coding, { q, index });
  });
  return codings;
}

/** The coding to use for a request's `Accept-Encoding`: `br`, `gzip`, or null for none. */
function negotiate(header: string | null, brotli: boolean): Encoding | null {
  if (header === null) return null;
  const codings = parseAcceptEncoding(header);
  const star = codings.get('*');
  const gzip = codings.get('gzip') ?? star;
  const br = brotli ? (codings.get('br') ?? star) : undefined;
  if (br !== undefined && br.q > 0 && (gzip === undefined || br.q > gzip.q || (br.q === gzip.q && br.index < gzip.index))) return 'br';
  return gzip !== undefined && gzip.q > 0 ? 'gzip' : null;
}

/**
 * Compresses each chunk of `source` as it arrives and flushes the compressor after it, so every
 * chunk reaches the client as soon as it was produced; the stream is never buffered whole.
 */
async function* compressStream(source: AsyncIterable<BodyChunk>, encoding: Encoding, level: number): AsyncGenerator<Uint8Array> {
  const compressor: Gzip | BrotliCompress =
    encoding === 'gzip' ? createGzip({ level }) : createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } });
  const flushKind = encoding === 'gzip' ? constants.Z_SYNC_FLUSH : constants.BROTLI_OPERATION_FLUSH;
  const output: Buffer[] = [];
  // Paused mode: whatever the compressor pushed is read synchronously once a flush completes.
  const drain = (): void => {
    for (let chunk = compressor.read() as Buffer | null; chunk !== null; chunk = compressor.read() as Buffer | null) output.push(chunk);
  };
  const take = (): Buffer | null => {
    drain();
    if (output.length === 0) return null;
    const bytes = output.length === 1 ? output[0] : Buffer.concat(output);
    output.length = 0;
    return bytes;
  };
  compressor.on('readable', drain);
  // One error listener for the whole stream: it fails whichever wait is in progress. (A race per
  // chunk against one never-settling promise would keep a reaction per chunk until the end.)
  let error: unknown = null;
  let fail: ((reason: unknown) => void) | null = null;
  compressor.on('error', (reason: unknown) => {
    error ??= reason;
    fail?.(reason);
  });
  const settle = (start: (done: () => void) => void): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (error !== null) return reject(error);
      fail = reject;
      start(() => {
        fail = null;
        resolve();
      });
    });
  try {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (bytes.byteLength === 0) continue;
      compressor.write(bytes);
      await settle((done) => compressor.flush(flushKind, done));
      const compressed = take();
      if (compressed !== null) yield compressed;
    }
    await settle((done) => {
      compressor.once('end', done);
      compressor.end();
    });
    const rest = take();
    if (rest !== null) yield rest;
  } finally {
    compressor.destroy();
  }
}

/**
 * Compresses responses with gzip, or brotli when the client prefers it, as Starlette's
 * `GZipMiddleware` does.
 *
 * A fixed body is compressed when it is at least `minimumSize` bytes; a streaming body always,
 * chunk by chunk, each chunk flushed to the client as soon as it is produced. Such responses get
 * `Vary: Accept-Encoding` even when the client accepts neither coding. Responses that already have
 * a `Content-Encoding`, and server-sent events (`text/event-stream`), are left alone.
 *
 * @example
 * ```ts
 * app.addMiddleware(GZipMiddleware, { minimumSize: 1000 });
 * ```
 */
export class GZipMiddleware extends BuiltinMiddleware<GZipOptions | undefined> {
  private readonly minimumSize: number;
  private readonly compressLevel: number;
  private readonly brotli: boolean;
  private readonly gzipOptions: ZlibOptions;
  // The last Accept-Encoding header seen and what it negotiated: clients send the same few
  // spellings over and over, and negotiation is a pure function of the header.
  private lastAccept: string | null = null;
  private lastEncoding: Encoding | null = null;

  constructor(app: HTTPApp, options?: GZipOptions) {
    super(app, options);
    this.minimumSize = options?.minimumSize ?? 500;
    this.compressLevel = options?.compressLevel ?? 9;
    this.brotli = options?.brotli ?? true;
    if (!Number.isInteger(this.compressLevel) || this.compressLevel < 0 || this.compressLevel > 9) {
      throw new RangeError(`compressLevel must be an integer from 0 to 9, got ${this.compressLevel}`);
    }
    this.gzipOptions = { level: this.compressLevel };
  }

  private negotiate(accept: string | null): Encoding | null {
    if (accept === null) return null;
    if (accept !== this.lastAccept) {
      this.lastEncoding = negotiate(accept, this.brotli);
      this.lastAccept = accept;
    }
    return this.lastEncoding;
  }

  protected override enter(request: Request): Exit {
    const encoding = this.negotiate(request.headers.get('accept-encoding'));
    return (response) => this.encode(request, response, encoding);
  }

  /** The response, compressed with `encoding` when it qualifies; `Vary` and the ETag adjusted. */
  private encode(request: Request, response: Response, encoding: Encoding | null): Response | Promise<Response> {
    const headers = response.headers;
    // A 304 stands for the 200 this middleware may have compressed: the same Vary, the same weak tag.
    if (response.statusCode === 304) {
      headers.addVary('Accept-Encoding');
      if (encoding !== null) weakenETag(headers);
    }
    // A 206's ranges count bytes of the identity body: compressing them would corrupt the file.
    if (headers.has('content-encoding') || bodyless(response.statusCode) || response.statusCode === 206) return response;
    const contentType = (headers.get('content-type') ?? '').toLowerCase();
    if (EXCLUDED_CONTENT_TYPES.some((excluded) => contentType.startsWith(excluded))) return response;

    if (response.bodyIterator === null) {
      if (response.body.byteLength < this.minimumSize) return response;
      headers.addVary('Accept-Encoding');
      if (encoding === null) return response;
      markCompressed(headers, encoding);
      const compressed = this.compress(response.body, encoding);
      if (compressed instanceof Uint8Array) {
        response.setBody(compressed);
        return response;
      }
      return compressed.then((body) => {
        response.setBody(body);
        return response;
      });
    }

    // Streaming: compressed whatever the size of its chunks, as in Starlette.
    headers.addVary('Accept-Encoding');
    if (encoding === null) return response;
    markCompressed(headers, encoding);
    headers.delete('content-length');
    // A HEAD response sends no body: keep the original stream, which the server closes unread.
    if (request.method !== 'HEAD') response.bodyIterator = compressStream(response.bodyIterator, encoding, this.compressLevel);
    return response;
  }

  /** Small bodies are compressed at once; large ones on libuv's thread pool, not blocking the event loop. */
  private compress(body: Uint8Array, encoding: Encoding): Buffer | Promise<Buffer> {
    const async = body.byteLength >= ASYNC_COMPRESSION_SIZE;
    if (encoding === 'gzip') {
      return async ? gzipAsync(body, this.gzipOptions) : gzipSync(body, this.gzipOptions);
    }
    const options: BrotliOptions = {
      params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength },
    };
    return async ? brotliAsync(body, options) : brotliCompressSync(body, options);
  }
}
