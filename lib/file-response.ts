import { createHash } from 'node:crypto';
import { statSync, type Stats } from 'node:fs';
import { basename } from 'node:path';
import { contentRange, parseRange, type ByteRange } from './byte-ranges';
import { HTTPException } from './exceptions';
import { multipartRanges, readFileRange } from './file-body';
import { guessMediaType } from './media-types';
import { evaluatePreconditions, ifRangeMatches, keepNotModifiedHeaders, type ConditionalRequest } from './preconditions';
import { StreamingResponse, type ResponseInit } from './responses';

/** Options of {@link FileResponse}. */
export interface FileResponseInit extends ResponseInit {
  /** Sets `content-disposition: attachment; filename=…`. */
  filename?: string;
  /** `attachment` (default when a filename is given) or `inline`. */
  contentDisposition?: 'attachment' | 'inline';
  /**
   * The request being answered. With it, a 200 file response honours the request's `Range` and
   * `If-Range` (a 206, `multipart/byteranges` for several ranges, a 416 for none inside the file),
   * `If-None-Match`/`If-Modified-Since` (a 304) and `If-Match`/`If-Unmodified-Since` (a 412), and
   * says `accept-ranges: bytes`. Without it, the whole file is sent.
   */
  request?: ConditionalRequest;
  /** The file's stats, when the caller already has them (saves a `stat`). */
  stats?: Stats;
}

/** The strong ETag of a file version: a digest of its modification time and size, as Starlette's. */
function fileETag(stats: Stats): string {
  return `"${createHash('md5').update(`${stats.mtimeMs}-${stats.size}`).digest('hex')}"`;
}

function dispositionFor(filename: string, disposition: 'attachment' | 'inline'): string {
  const name = basename(filename);
  const ascii = /^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name);
  return ascii ? `${disposition}; filename="${name}"` : `${disposition}; filename*=utf-8''${encodeURIComponent(name)}`;
}

/**
 * Streams a file from disk, a chunk at a time, with `content-length`, `last-modified` and `etag`;
 * the media type is guessed from the extension unless given. Given the `request`, it answers
 * ranges and conditional requests as a static file server does. Throws at construction if the
 * file does not exist; throws an `HTTPException` for a malformed range (400), a range outside the
 * file (416, with `content-range: bytes *\/size`) or a failed `If-Match` (412).
 */
export class FileResponse extends StreamingResponse {
  /** The path of the file, as given. */
  readonly path: string;
  /** The file's stats, taken at construction (its size, `last-modified` and `etag` come from them). */
  readonly stats: Stats;

  constructor(path: string, init: FileResponseInit = {}) {
    const stats = init.stats ?? statSync(path);
    if (!stats.isFile()) throw new Error(`File at path ${path} is not a file`);
    const mediaType = init.mediaType ?? guessMediaType(init.filename ?? path);
    super(readFileRange(path, { start: 0, end: stats.size }), { ...init, mediaType });
    this.path = path;
    this.stats = stats;
    const headers = this.headers;
    headers.set('content-length', String(stats.size));
    if (!headers.has('last-modified')) headers.set('last-modified', stats.mtime.toUTCString());
    if (!headers.has('etag')) headers.set('etag', fileETag(stats));
    if (init.filename !== undefined) headers.set('content-disposition', dispositionFor(init.filename, init.contentDisposition ?? 'attachment'));
    if (init.request !== undefined && this.statusCode === 200) this.answer(init.request);
  }

  /** Turns this 200 into the answer the request's conditional and `Range` headers ask for. */
  private answer(request: ConditionalRequest): void {
    const headers = this.headers;
    if (!headers.has('accept-ranges')) headers.set('accept-ranges', 'bytes');
    const validators = { etag: headers.get('etag'), lastModified: this.stats.mtime };
    const outcome = evaluatePreconditions(request, validators);
    if (outcome === 'failed') throw new HTTPException(412);
    if (outcome === 'not-modified') {
      this.statusCode = 304;
      this.bodyIterator = null;
      keepNotModifiedHeaders(headers);
      return;
    }
    const range = request.headers.get('range');
    if (range === null || (request.method !== 'GET' && request.method !== 'HEAD')) return;
    const ifRange = request.headers.get('if-range');
    if (ifRange !== null && !ifRangeMatches(ifRange, validators)) return;
    const size = this.stats.size;
    const wanted = parseRange(range, size);
    if (wanted.kind === 'malformed') throw new HTTPException(400, wanted.reason);
    if (wanted.kind === 'unsatisfiable') throw new HTTPException(416, undefined, { 'content-range': `bytes */${size}` });
    if (wanted.kind === 'ranges') this.sendRanges(wanted.ranges);
  }

  private sendRanges(ranges: readonly ByteRange[]): void {
    const headers = this.headers;
    this.statusCode = 206;
    if (ranges.length === 1) {
      const [range] = ranges;
      headers.set('content-range', contentRange(range, this.stats.size));
      headers.set('content-length', String(range.end - range.start));
      this.bodyIterator = readFileRange(this.path, range);
      return;
    }
    const multipart = multipartRanges(this.path, ranges, this.stats.size, headers.get('content-type') ?? 'application/octet-stream');
    headers.set('content-type', multipart.contentType);
    headers.set('content-length', String(multipart.length));
    this.bodyIterator = multipart.body;
  }
}
