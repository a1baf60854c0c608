import type { Request } from '../requests';
import type { Response } from '../responses';
import { BuiltinMiddleware, type Exit } from './builtin';

/** A metric name is an HTTP token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What a quoted-string may hold: tab, printable ASCII and obs-text; no other control character. */
const QUOTABLE = /^[\t\x20-\x7E\x80-\xFF]*$/;

function formatDuration(ms: number): string {
  return String(Math.round(ms * 1000) / 1000);
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The Server-Timing metrics of one request. Get it with {@link serverTiming}; add metrics with
 * {@link ServerTiming.mark} or {@link ServerTiming.time} before the response starts.
 */
export class ServerTiming {
  private readonly metrics: string[] = [];
  private closed = false;

  /**
   * Adds a metric: `name` (an HTTP token such as `db` or `cache-hit`), an optional duration in
   * milliseconds and an optional description. Metrics are sent in the order added.
   *
   * @throws TypeError for a name that is not a token or a description with control characters;
   * RangeError for a negative or non-finite duration.
   */
  mark(name: string, durationMs?: number, description?: string): void {
    if (!TOKEN.test(name)) throw new TypeError(`Invalid Server-Timing metric name: ${JSON.stringify(name)}`);
    if (durationMs !== undefined && !(Number.isFinite(durationMs) && durationMs >= 0)) {
      throw new RangeError(`A Server-Timing duration must be a finite number of milliseconds >= 0, got ${durationMs}`);
    }
    if (description !== undefined && !QUOTABLE.test(description)) {
      throw new TypeError(`Invalid Server-Timing description: ${JSON.stringify(description)}`);
    }
    if (this.closed) return;
    let metric = name;
    if (durationMs !== undefined) metric += `;dur=${formatDuration(durationMs)}`;
    if (description !== undefined) metric += `;desc=${quote(description)}`;
    this.metrics.push(metric);
  }

  /**
   * Runs `fn`, adds a metric `name` with the time it took (also when it throws), and returns
   * what it returned.
   *
   * @example
   * ```ts
   * const rows = await serverTiming(request).time('db', () => db.query(sql), 'Database');
   * ```
   */
  async time<T>(name: string, fn: () => T | PromiseLike<T>, description?: string): Promise<Awaited<T>> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.mark(name, performance.now() - start, description);
    }
  }

  /** @internal Ends the recording: the metrics so far, followed by `total`; later marks are dropped. */
  close(totalMs: number): string {
    this.closed = true;
    return [...this.metrics, `total;dur=${formatDuration(totalMs)}`].join(', ');
  }
}

const timings = new WeakMap<Request, ServerTiming>();

/**
 * The {@link ServerTiming} of `request`, to add metrics to. Without a {@link ServerTimingMiddleware}
 * in front of the request, the metrics go nowhere (so endpoints need not know whether it is installed).
 *
 * @example
 * ```ts
 * app.get('/users', async (request) => {
 *   const users = await serverTiming(request).time('db', () => loadUsers(), 'Load users');
 *   serverTiming(request).mark('cache', 0, 'miss');
 *   return users;
 * });
 * ```
 */
export function serverTiming(request: Request): ServerTiming {
  return timings.get(request) ?? new ServerTiming();
}

/**
 * Adds a `Server-Timing` header (shown by browsers' developer tools) with the metrics the
 * endpoint added through {@link serverTiming}, then `total`: the milliseconds from this
 * middleware's start to the response's start (when `callNext` resolved), so a streaming body is
 * not counted. A `Server-Timing` header already on the response is kept, and these metrics
 * appended to it.
 *
 * Timings tell clients about your backend: install it where that is acceptable, or in development only.
 *
 * @example
 * ```ts
 * app.addMiddleware(ServerTimingMiddleware);
 * ```
 */
export class ServerTimingMiddleware extends BuiltinMiddleware {
  protected override enter(request: Request): Exit | undefined {
    // A second ServerTimingMiddleware on the way (a mount's, say) leaves the work to the first.
    if (timings.has(request)) return undefined;
    const start = performance.now();
    const timing = new ServerTiming();
    timings.set(request, timing);
    return (response) => {
      const value = timing.close(performance.now() - start);
      const existing = response.headers.get('server-timing');
      response.headers.set('server-timing', existing === null ? value : `${existing}, ${value}`);
      return response;
    };
  }
}
