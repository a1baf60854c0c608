import { HTTPException } from './exceptions';
import { guardJson, type PoisoningOptions } from './poisoning';

/**
 * The body's chunks as they arrive, under `limit` bytes: a 413 at once when `Content-Length`
 * declares more, else as soon as more has arrived, without reading the rest.
 */
export async function* limitBody(chunks: AsyncIterable<Uint8Array>, limit: number, contentLength: string | null): AsyncGenerator<Uint8Array> {
  const declared = Number(contentLength ?? NaN);
  if (declared > limit) throw new HTTPException(413, `Request body is larger than ${limit} bytes`);
  let received = 0;
  for await (const chunk of chunks) {
    received += chunk.byteLength;
    if (received > limit) throw new HTTPException(413, `Request body is larger than ${limit} bytes`);
    yield chunk;
  }
}

/** Every chunk read and joined (the one chunk as it is when there is only one). */
export async function readWhole(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** A JSON body parsed (a 400 when malformed) and guarded against prototype poisoning as `options` say. */
export function parseJsonBody(text: string, options: PoisoningOptions | undefined): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new HTTPException(400, `Invalid JSON body: ${(error as Error).message}`);
  }
  return guardJson(text, value, options);
}
