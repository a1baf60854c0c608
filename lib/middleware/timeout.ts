import { BackgroundTasks } from '../background';
import { HTTPException } from '../exceptions';
import type { Request } from '../requests';
import { discardBody, type Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';
import { httpExceptionResponse } from './exceptions';

/** Options of {@link TimeoutMiddleware}. */
export interface TimeoutOptions {
  /** How long the rest of the stack has to produce a response, in seconds (fractions allowed). Required. */
  seconds: number;
}

/** `setTimeout` fires at once for a delay above this (about 24.8 days). */
const MAX_DELAY_MS = 2 ** 31 - 1;
const TIMED_OUT: unique symbol = Symbol('timed out');
const ignore = (): void => undefined;

/**
 * Gives the rest of the stack `seconds` to produce a response. When none has come back in time:
 *
 * - `request.signal` is aborted with a `DOMException` named `TimeoutError`, so an endpoint that
 *   passes the signal on (`fetch(url, { signal: request.signal })`) or checks it really stops;
 * - the client gets `504 {"detail": "Gateway Timeout"}` (through the application's handler for
 *   504, if one is registered);
 * - whatever the endpoint produces later, a response or an error, is discarded without being
 *   logged (a late streaming body is stopped, a late response's background tasks do not run);
 * - the request's own background tasks and dependency exit code run once the endpoint has
 *   settled, never while it still runs.
 *
 * Only the time to the response's start is limited: a streaming body, once started, is not.
 *
 * @example
 * ```ts
 * app.addMiddleware(TimeoutMiddleware, { seconds: 10 });
 * ```
 */
export class TimeoutMiddleware extends BaseHTTPMiddleware<TimeoutOptions> {
  /** The time limit, in milliseconds. */
  readonly timeoutMs: number;

  constructor(app: HTTPApp, options: TimeoutOptions) {
    super(app, options);
    const seconds = options?.seconds;
    const ms = typeof seconds === 'number' ? seconds * 1000 : NaN;
    if (!(ms > 0 && ms <= MAX_DELAY_MS)) {
      throw new RangeError(`TimeoutMiddleware seconds must be a number above 0 and at most ${MAX_DELAY_MS / 1000}, got ${String(seconds)}`);
    }
    this.timeoutMs = ms;
  }

  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const result = callNext(request);
    // One promise settled by whichever comes first (cheaper than Promise.race over a second one);
    // the timer is cleared as soon as the endpoint settles.
    const winner = await new Promise<Response | typeof TIMED_OUT>((resolve, reject) => {
      const timer = setTimeout(resolve, this.timeoutMs, TIMED_OUT);
      result.then(
        (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
    if (winner !== TIMED_OUT) return winner;

    // From here on, the endpoint's result is unwanted: observed (no unhandled rejection), dropped.
    const settled = result.then(discardBody, ignore);
    request.abort(new DOMException(`The request took longer than ${this.timeoutMs / 1000} seconds`, 'TimeoutError'));
    const response = await httpExceptionResponse(request, new HTTPException(504));
    // Background work (the request's tasks, dependency exit code) waits for the endpoint to settle:
    // that wait goes first, before any tasks the 504's handler attached.
    const previous = response.background;
    response.background = undefined;
    response.background = new BackgroundTasks([() => settled]);
    if (previous !== undefined) response.background = previous;
    return response;
  }
}
