import type { Request } from '../requests';
import { RedirectResponse, type Response } from '../responses';
import type { HTTPApp } from './base';
import { BuiltinMiddleware } from './builtin';

/** Options of {@link HTTPSRedirectMiddleware}. */
export interface HTTPSRedirectOptions {
  /** The redirect status: 307 (default) or 308 (permanent); both keep the method and body. */
  statusCode?: 307 | 308;
}

/**
 * Starlette's `HTTPSRedirectMiddleware`: redirects every plain `http` request to the same URL on
 * `https` (path and query kept). The port is kept, except 80 and 443, which are dropped so the
 * redirect goes to the default HTTPS port. Requests already on `https` pass through.
 *
 * The URL is {@link Request.url}: the connection's scheme and the `Host` header. Behind a proxy
 * that terminates TLS, the scheme is `http` unless the adapter knows better.
 *
 * @example
 * ```ts
 * app.addMiddleware(HTTPSRedirectMiddleware, { statusCode: 308 });
 * ```
 */
export class HTTPSRedirectMiddleware extends BuiltinMiddleware<HTTPSRedirectOptions> {
  /** The status of the redirects. */
  readonly statusCode: 307 | 308;

  constructor(app: HTTPApp, options: HTTPSRedirectOptions = {}) {
    super(app, options);
    const statusCode = options.statusCode ?? 307;
    if (statusCode !== 307 && statusCode !== 308) {
      throw new RangeError(`HTTPSRedirectMiddleware statusCode must be 307 or 308, got ${String(statusCode)}`);
    }
    this.statusCode = statusCode;
  }

  protected override enter(request: Request): Response | undefined {
    const url = request.url;
    if (url.protocol !== 'http:') return undefined;
    // On an http URL, WHATWG URL already reports port 80 as ''.
    const port = url.port === '' || url.port === '80' || url.port === '443' ? '' : `:${url.port}`;
    return new RedirectResponse(`https://${url.hostname}${port}${url.pathname}${url.search}`, this.statusCode);
  }
}
