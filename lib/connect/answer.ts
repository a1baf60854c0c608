// What Connect code writes to `res` when it answers itself, held as a stackware Response so that the
// layers outside can still change its status and headers before anything reaches the socket.
import type { ServerResponse } from 'node:http';
import { Headers } from '../headers';
import { Response, StreamingResponse, type BodyChunk } from '../responses';

const HIGH_WATER_MARK = 64 * 1024;

/** The headers `res` holds, moved out of it (so that only the Response carries them from now on). */
export function takeHeaders(res: ServerResponse): Headers {
  const headers = new Headers();
  for (const name of res.getHeaderNames()) {
    const value = res.getHeader(name);
    if (Array.isArray(value)) for (const item of value) headers.append(name, String(item));
    else if (value !== undefined) headers.append(name, String(value));
    res.removeHeader(name);
  }
  return headers;
}

/** The body Connect code writes, chunk by chunk, until it ends it; read once, by the adapter. */
export class CapturedBody implements AsyncIterable<BodyChunk> {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private waiting: (() => void) | undefined;
  private blocked = false;
  /** True once the writer called `end`. */
  ended = false;
  /** True once the reader stopped: what is written after is dropped. */
  closed = false;

  constructor(private readonly res: ServerResponse) {}

  /** Queues a chunk; false when the reader is behind (the writer should wait for `drain`). */
  push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (this.ended || this.closed) return true;
    if (chunk === undefined || chunk === null) return true;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : (chunk as Uint8Array);
    if (bytes.byteLength === 0) return true;
    this.queue.push(bytes);
    this.queued += bytes.byteLength;
    this.wake();
    if (this.queued < HIGH_WATER_MARK) return true;
    this.blocked = true;
    return false;
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  /** The whole body, once it has ended. */
  joined(): Uint8Array {
    return this.queue.length === 1 ? this.queue[0] : Buffer.concat(this.queue);
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const chunk = this.queue.shift();
        if (chunk !== undefined) {
          this.queued -= chunk.byteLength;
          if (this.blocked && this.queued < HIGH_WATER_MARK) {
            this.blocked = false;
            this.res.emit('drain');
          }
          yield chunk;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.waiting = resolve));
      }
    } finally {
      this.closed = true;
      this.queue.length = 0;
    }
  }
}

/**
 * The answer Connect code started: the status and headers `res` had when its head was written,
 * and its body. {@link CapturedAnswer.toResponse} gives the Response handed to the layers outside.
 */
export class CapturedAnswer {
  readonly body: CapturedBody;
  response: Response | undefined;

  constructor(
    readonly statusCode: number,
    readonly headers: Headers,
    res: ServerResponse,
  ) {
    this.body = new CapturedBody(res);
  }

  /** A fixed Response when the body has already ended, else a streaming one. */
  toResponse(): Response {
    const init = { statusCode: this.statusCode, headers: this.headers };
    this.response = this.body.ended ? new Response(this.body.joined(), init) : new StreamingResponse(this.body, init);
    return this.response;
  }
}
