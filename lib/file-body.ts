import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { contentRange, type ByteRange } from './byte-ranges';
import type { BodyChunk } from './responses';

/** The size of each read from disk: no file body holds more than this in memory at once. */
export const CHUNK_SIZE = 64 * 1024;

/** The bytes `start` (included) to `end` (excluded) of a file, read a chunk at a time; the whole file by default. */
export async function* readFileRange(path: string, range?: ByteRange): AsyncGenerator<BodyChunk> {
  if (range !== undefined && range.end <= range.start) return;
  const options = range === undefined ? { highWaterMark: CHUNK_SIZE } : { start: range.start, end: range.end - 1, highWaterMark: CHUNK_SIZE };
  yield* createReadStream(path, options) as AsyncIterable<Buffer>;
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
