import { createHash } from 'node:crypto';
import { createReadStream, statSync, type Stats } from 'node:fs';
import { basename, extname } from 'node:path';
import { StreamingResponse, type BodyChunk, type ResponseInit } from './responses';

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.txt': 'text/plain',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
  '.xml': 'application/xml',
  '.wasm': 'application/wasm',
  '.csv': 'text/csv',
  '.md': 'text/markdown',
};

/** Options of {@link FileResponse}. */
export interface FileResponseInit extends ResponseInit {
  /** Sets `content-disposition: attachment; filename=…`. */
  filename?: string;
  /** `attachment` (default when a filename is given) or `inline`. */
  contentDisposition?: 'attachment' | 'inline';
}

async function* readFile(path: string): AsyncGenerator<BodyChunk> {
  yield* createReadStream(path) as AsyncIterable<Buffer>;
}

/**
 * Streams a file from disk with `content-length`, `last-modified` and `etag`; the media type is
 * guessed from the extension unless given. Throws at construction if the file does not exist.
 */
export class FileResponse extends StreamingResponse {
  /** The path of the file, as given. */
  readonly path: string;
  /** The file's stats, taken at construction (its size, `last-modified` and `etag` come from them). */
  readonly stats: Stats;

  constructor(path: string, init: FileResponseInit = {}) {
    const stats = statSync(path);
    if (!stats.isFile()) throw new Error(`File at path ${path} is not a file`);
    const mediaType = init.mediaType ?? MEDIA_TYPES[extname(init.filename ?? path).toLowerCase()] ?? 'application/octet-stream';
    super(readFile(path), { ...init, mediaType });
    this.path = path;
    this.stats = stats;
    this.headers.set('content-length', String(stats.size));
    this.headers.set('last-modified', stats.mtime.toUTCString());
    const tag = createHash('md5').update(`${stats.mtimeMs}-${stats.size}`).digest('hex');
    this.headers.set('etag', `"${tag}"`);
    if (init.filename !== undefined) {
      const disposition = init.contentDisposition ?? 'attachment';
      const name = basename(init.filename);
      const ascii = /^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name);
      this.headers.set(
        'content-disposition',
        ascii ? `${disposition}; filename="${name}"` : `${disposition}; filename*=utf-8''${encodeURIComponent(name)}`,
      );
    }
  }
}
