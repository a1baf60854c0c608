import { HTTPException } from '../exceptions';
import type { HeadersInit } from '../headers';
import { describeValue } from '../middleware/base';

interface HttpError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
  headers?: unknown;
}

/**
 * What `next(error)` from a Connect middleware becomes on stackware's error channel. An error with
 * a 4xx `status` or `statusCode` (body-parser's 400 and 413, http-errors' `createError(403)`) is an
 * `HTTPException` of that status, its message the detail when it is meant to be shown (`expose`,
 * true for 4xx by default), the original error its `cause`; anything else (5xx included, so that
 * it is logged) travels as it is, for an exception handler registered for its class or the 500.
 */
export function connectError(error: unknown): unknown {
  if (error instanceof HTTPException) return error;
  if (typeof error !== 'object' || error === null) {
    return new Error(`A Connect middleware called next() with ${typeof error === 'string' ? JSON.stringify(error) : describeValue(error)}`);
  }
  const { status, statusCode, expose, message, headers } = error as HttpError;
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code === 'number' && Number.isInteger(code) && code >= 400 && code <= 499) {
    const shown = expose !== false && typeof message === 'string' && message !== '' ? message : undefined;
    const headersInit = typeof headers === 'object' && headers !== null ? (headers as HeadersInit) : undefined;
    const exception = new HTTPException(code, shown, headersInit);
    Object.defineProperty(exception, 'cause', { value: error, configurable: true, writable: true });
    return exception;
  }
  return error;
}
