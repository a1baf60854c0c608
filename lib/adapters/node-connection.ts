import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long the Node adapter waits on a client that stops reading, or keeps sending what nobody reads. */
export interface ConnectionLimits {
  /** Seconds a response may wait for its socket to accept a byte before it is aborted; 0 waits forever. */
  readonly sendTimeout: number;
  /** Seconds the unread rest of a request body is read and discarded after an early answer. */
  readonly lingeringTimeout: number;
  /** Bytes of an unread request body discarded after an early answer before the connection is closed. */
  readonly lingeringMaxBytes: number;
}

/** Default send timeout, in seconds: nginx's `send_timeout`. */
export const DEFAULT_SEND_TIMEOUT = 60;
/** Default time for reading and discarding the rest of an upload after an early answer, in seconds. */
export const DEFAULT_LINGERING_TIMEOUT = 5;
/** Default byte budget for reading and discarding the rest of an upload after an early answer. */
export const DEFAULT_LINGERING_MAX_BYTES = 16 * 1024 * 1024;

/** The part of libuv's stream handle that tells how much of a write the kernel has not taken yet. */
interface WriteQueue {
  readonly writeQueueSize?: number;
}

/**
 * Bytes waiting to leave: those Node buffers plus, where Node exposes it, what libuv has not yet
 * handed to the kernel of the write in progress (so a large write that moves is seen moving).
 */
function pendingBytes(res: ServerResponse): number {
  const handle = (res.socket as { _handle?: WriteQueue | null } | null)?._handle;
  return res.writableLength + (handle?.writeQueueSize ?? 0);
}

const watched = new WeakSet<ServerResponse>();

/**
 * Aborts `res` when bytes are waiting to be sent and the socket accepts none of them for `seconds`
 * (nginx's `send_timeout`: the time between two successive writes, not for the whole response).
 * A reader that takes bytes, however slowly, is never cut off; a response waiting on its own body
 * (nothing pending) is not the client's fault and is left alone. `onStall` runs once, before the
 * response is destroyed (which stops a streaming body through its `close` listener). Idempotent:
 * call it whenever a write leaves bytes behind.
 */
export function watchSend(res: ServerResponse, seconds: number, onStall: () => void): void {
  if (seconds <= 0 || watched.has(res) || res.destroyed || res.writableFinished) return;
  watched.add(res);
  const limit = seconds * 1000;
  let pending = pendingBytes(res);
  let quietSince = performance.now();
  const timer = setInterval(
    () => {
      const now = performance.now();
      const current = pendingBytes(res);
      if (current === 0 || current !== pending) {
        pending = current;
        quietSince = now;
      } else if (now - quietSince >= limit) {
        stop();
        onStall();
        res.destroy();
      }
    },
    Math.min(Math.max(limit / 10, 10), 1000),
  );
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    res.off('finish', stop);
    res.off('close', stop);
  };
  res.once('finish', stop);
  res.once('close', stop);
}

/**
 * After an answer sent before the request body had all arrived (a 413, a 401, a route that never
 * reads it), reads and discards the rest instead of closing under unread data: closing would make
 * the kernel reset the connection, and a client still sending then loses the answer (`EPIPE`,
 * `ECONNRESET`). The reading is bounded, as nginx's lingering close: past `lingeringTimeout`
 * seconds or `lingeringMaxBytes` bytes the connection is closed. A body that ends within the bounds
 * leaves the connection open for the next request, as Node does.
 */
export function lingerAfterEarlyAnswer(req: IncomingMessage, res: ServerResponse, limits: ConnectionLimits): void {
  // Node's own 'finish' listener runs first: it detaches the socket and may start dumping the body.
  res.once('finish', () => {
    if (req.complete) return;
    const socket = req.socket;
    let discarded = 0;
    const close = (): void => {
      cleanup();
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      discarded += chunk.byteLength;
      if (discarded > limits.lingeringMaxBytes) close();
    };
    const timer = setTimeout(close, limits.lingeringTimeout * 1000);
    timer.unref();
    const cleanup = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', cleanup);
      socket.off('close', cleanup);
    };
    req.on('data', onData);
    req.once('end', cleanup);
    socket.once('close', cleanup);
    // A body the application stopped reading half-way is paused: let it flow to the discard above.
    req.resume();
  });
}
