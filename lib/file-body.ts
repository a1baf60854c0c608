import { randomBytes } from 'node:crypto';
import { close, open, read } from 'node:fs';
import { contentRange, type ByteRange } from './byte-ranges';
import type { BodyChunk } from './responses';

/** The size of each read from disk: no file body holds more than this in memory at once. */
export const CHUNK_SIZE = 64 * 1024;

const openForReading = (path: string): Promise<number> =>
  new Promise((resolve, reject) => open(path, 'r', (error, fd) => (error ? reject(error) : resolve(fd))));

const readAt = (fd: number, buffer: Buffer, position: number): Promise<number> =>
  new Promise((resolve, reject) => read(fd, buffer, 0, buffer.byteLength, position, (error, bytes) => (error ? reject(error) : resolve(bytes))));

const closeQuietly = (fd: number): Promise<void> => new Promise((resolve) => close(fd, () => resolve()));

/**
 * The bytes `range.start` (included) to `range.end` (excluded) of a file, read a chunk at a time
 * with positioned reads: one open, one read per chunk, one close, and the file is closed however
 * the stream ends (a client gone away stops it through `return()`). The file is opened on the
 * first read, so a body never sent (a HEAD) never opens it. A file that shrank below `range.end`
 * while being sent fails the stream, which cuts the response short rather than pad it.
 */
export async function* readFileRange(path: string, range: ByteRange): AsyncGenerator<BodyChunk> {
  if (range.end <= range.start) return;
  const fd = await openForReading(path);
  try {
    for (let position = range.start; position < range.end; ) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, range.end - position));
      const bytes = await readAt(fd, buffer, position);
      if (bytes === 0) throw new Error(`${path} ended at byte ${position} of ${range.end}: it shrank while being sent`);
      position += bytes;
      yield bytes === buffer.byteLength ? buffer : buffer.subarray(0, bytes);
    }
  } finally {
    await closeQuietly(fd);
  }
}

/** A `multipart/byteranges` body (RFC 9110 §14.6): its `content-type`, exact length, and the stream. */
export interface MultipartRanges {
  readonly contentType: string;
  readonly length: number;
  readonly body: AsyncIterable<BodyChunk>;
}

/**
 * The parts of a multi-range answer, each with its own `Content-Type` and `Content-Range`, read from
 * disk one range and one chunk at a time. The boundary is random (104 bits, as browsers use for forms).
 */
export function multipartRanges(path: string, ranges: readonly ByteRange[], size: number, partType: string): MultipartRanges {
  const boundary = randomBytes(13).toString('hex');
  const head = (range: ByteRange): string =>
    `--${boundary}\r\nContent-Type: ${partType}\r\nContent-Range: ${contentRange(range, size)}\r\n\r\n`;
  const closing = `--${boundary}--`;
  let length = Buffer.byteLength(closing);
  for (const range of ranges) length += Buffer.byteLength(head(range)) + (range.end - range.start) + 2;
  async function* body(): AsyncGenerator<BodyChunk> {
    for (const range of ranges) {
      yield head(range);
      yield* readFileRange(path, range);
      yield '\r\n';
    }
    yield closing;
  }
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, body: body() };
}
