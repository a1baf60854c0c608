import type { Request } from '../requests';
import { PlainTextResponse, type Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';

/** Options of {@link ConcurrencyLimitMiddleware}. */
export interface ConcurrencyLimitOptions {
  /** The most requests in flight (from arrival to the response's last byte); more get a 503 at once. */
  limit: number;
}

/**
 * uvicorn's `--limit-concurrency`: past `limit` requests in flight, a request is answered
 * `503 Service Unavailable` at once instead of queueing. A request counts until its response has
 * finished ({@link Request.onFinish}), so a long stream holds its slot to the end.
 */
export class ConcurrencyLimitMiddleware extends BaseHTTPMiddleware<ConcurrencyLimitOptions> {
  private readonly limit: number;
  private inFlight = 0;

  constructor(app: HTTPApp, options: ConcurrencyLimitOptions) {
    super(app, options);
    if (!Number.isInteger(options?.limit) || options.limit < 1) {
      throw new TypeError(`ConcurrencyLimitMiddleware limit must be an integer >= 1, got ${String(options?.limit)}`);
    }
    this.limit = options.limit;
  }

  override dispatch(request: Request, callNext: CallNext): Promise<Response> {
    if (this.inFlight >= this.limit) return Promise.resolve(new PlainTextResponse('Service Unavailable', { statusCode: 503 }));
    this.inFlight += 1;
    request.onFinish(() => {
      this.inFlight -= 1;
    });
    return callNext(request);
  }
}
