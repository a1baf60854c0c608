import { STATUS_CODES } from 'node:http';
import type { HeadersInit } from './headers';

/**
 * Throw it anywhere (endpoint, dependency, middleware) to answer with an HTTP error.
 *
 * The response is `{"detail": detail}` JSON with `statusCode` and `headers`, like FastAPI's.
 * `detail` defaults to the status code's reason phrase.
 */
export class HTTPException extends Error {
  /** The HTTP status of the response. */
  readonly statusCode: number;
  /** The `detail` of the JSON body: the one given, else the status's reason phrase. */
  readonly detail: unknown;
  /** Headers added to the response, if any. */
  readonly headers: HeadersInit | undefined;

  constructor(statusCode: number, detail?: unknown, headers?: HeadersInit) {
    const phrase = STATUS_CODES[statusCode] ?? 'Unknown Status';
    const resolved = detail ?? phrase;
    super(typeof resolved === 'string' ? resolved : phrase);
    this.name = 'HTTPException';
    this.statusCode = statusCode;
    this.detail = resolved;
    this.headers = headers;
  }

  /** `"404: Not Found"`, Starlette's `str(exc)`: the status code, then the detail (JSON when it is not a string). */
  override toString(): string {
    const detail = typeof this.detail === 'string' ? this.detail : JSON.stringify(this.detail);
    return `${this.statusCode}: ${detail}`;
  }
}
