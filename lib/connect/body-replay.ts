// One request body for two readers: stackware (`request.body()`) and Connect middleware that read
// `req` as a stream (body-parser, multer). Whichever reads first, the other reads the same bytes.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** What was read from `req` by whoever read it, for the next reader. */
export class BodyTap {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private installed = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
  ) {}

  /**
   * Starts recording the chunks consumers read from `req` (every read, in flowing mode or not,
   * is a `data` event), up to just past `limit` bytes: enough for stackware's own 413 later.
   */
  install(): void {
    if (this.installed) return;
    this.installed = true;
    const req = this.req;
    const emit = req.emit;
    const record = (chunk: unknown): void => {
      if (this.bytes > this.limit) return;
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      this.chunks.push(buffer);
      this.bytes += buffer.byteLength;
    };
    req.emit = function (this: IncomingMessage, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'data') record(args[0]);
      return emit.call(this, event, ...args);
    } as IncomingMessage['emit'];
  }

  /**
   * Makes what was read from `req` readable again, in front of what was not read yet: pushed back
   * (`unshift`) while the stream is open, or into a fresh readable state once it has ended (a
   * stream that ended cannot be read again otherwise).
   */
  rewind(): Promise<void> | undefined {
    const req = this.req;
    if (!req.readableDidRead) return undefined;
    const recorded = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks.length = 0;
    this.bytes = 0;
    if (!req.readableEnded) {
      if (recorded.byteLength > 0) req.unshift(recorded);
      // unshift keeps readableDidRead; the next reader still reads from the start.
      return undefined;
    }
    return afterEnd(req).then(() => refill(req, recorded));
  }

  /** Makes `bytes` (a body stackware already read whole) the content of `req` for the next reader. */
  replay(bytes: Uint8Array): Promise<void> {
    this.chunks.length = 0;
    this.bytes = 0;
    return afterEnd(this.req).then(() => refill(this.req, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  }
}

interface StateFlags {
  _readableState: { autoDestroy: boolean; closeEmitted: boolean };
}

/**
 * Waits, when the stream's old state still has to destroy it (`autoDestroy`, right after `end`
 * was emitted) and emit `close`: a new state given before that would be destroyed in its place,
 * unread, and the socket with it.
 */
function afterEnd(req: IncomingMessage): Promise<void> {
  const state = (req as unknown as StateFlags)._readableState;
  if (!state.autoDestroy || state.closeEmitted) return Promise.resolve();
  return new Promise((resolve) => setImmediate(resolve));
}

interface ReadableInternals {
  _read(size: number): void;
}

/**
 * Gives an ended `req` a new readable state holding `bytes`, then its end: the listeners and the
 * message itself (headers, socket, `complete`) stay as they are. `Readable`'s constructor is what
 * builds that state; running it again on the same object is the one way to reopen a stream.
 */
function refill(req: IncomingMessage, bytes: Buffer): void {
  (Readable as unknown as (this: IncomingMessage, options: object) => void).call(req, { autoDestroy: false });
  // Nothing more to read from the socket: this body is all there is.
  (req as unknown as ReadableInternals)._read = () => undefined;
  if (bytes.byteLength > 0) req.push(bytes);
  req.push(null);
}
