import { findAuth } from './slot';
import type { Request } from '../requests';
import { HTTPException } from '../exceptions';
import { RedirectResponse, type Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext } from '../middleware/base';
import { hasRequiredScope } from '../middleware/authentication';

/** Options of {@link requires} and {@link RequiresMiddleware}. */
export interface RequiresOptions {
  /**
   * The status of the answer to a request without every scope. Default 403, or 401 with the
   * backend's `WWW-Authenticate` challenge when the request is unauthenticated and the backend
   * challenges (`BearerTokenBackend`, `BasicAuthBackend`, `JWTBackend`).
   */
  statusCode?: number;
  /**
   * The name of a route to redirect to instead (303, as Starlette), with `next` in its query set
   * to the URL asked for: `requires('authenticated', endpoint, { redirect: 'login' })`.
   */
  redirect?: string;
}

/**
 * The answer to a request that lacks one of `scopes`: a redirect, or a thrown `HTTPException`
 * (so the application's exception handlers shape it); undefined when it has them all.
 */
export function refusal(request: Request, scopes: readonly string[], options: RequiresOptions): Response | undefined {
  if (hasRequiredScope(request, scopes)) return undefined;
  if (options.redirect !== undefined) {
    const target = request.urlFor(options.redirect);
    target.search = new URLSearchParams({ next: request.url.href }).toString();
    return new RedirectResponse(target.href, 303);
  }
  if (options.statusCode !== undefined) throw new HTTPException(options.statusCode);
  const slot = findAuth(request);
  const challenge = slot?.challenge;
  if (slot !== undefined && challenge !== undefined && !slot.user.isAuthenticated) {
    const statusCode = challenge.statusCode ?? 401;
    throw new HTTPException(statusCode, statusCode === 401 ? 'Not authenticated' : undefined, { 'WWW-Authenticate': challenge.wwwAuthenticate });
  }
  const insufficient = challenge?.insufficientScope?.(scopes);
  throw new HTTPException(403, undefined, insufficient === undefined ? undefined : { 'WWW-Authenticate': insufficient });
}

/** What {@link requires} needs of a websocket handler's argument (a `WebSocket`). */
export interface GuardedWebSocket {
  /** The handshake request. */
  readonly request: Request;
  /** Accepts the handshake. */
  accept(options?: object): Promise<void>;
  /** Closes (before `accept()`: refuses the handshake with an HTTP 403). */
  close(code?: number, reason?: string): Promise<void>;
}

function isGuardedWebSocket(arg: unknown): arg is GuardedWebSocket {
  const candidate = arg as Partial<GuardedWebSocket> | undefined;
  return typeof candidate?.accept === 'function' && candidate.request !== undefined;
}

/**
 * Starlette's `requires`: wraps an endpoint so that a request without every one of `scopes` is
 * answered (see {@link RequiresOptions}) instead of reaching it. Sync endpoints stay sync; extra
 * arguments are passed through, so it composes with other wrappers. Wrapping a websocket handler,
 * a handshake without them is closed before `accept()` (the client gets an HTTP 403, as Starlette);
 * annotate the handler's parameter (`async (ws: WebSocket) => ...`) so that this form is chosen.
 *
 * @throws TypeError when `endpoint` is not a function (Starlette's invalid decorator usage).
 */
export function requires<A extends [Request, ...unknown[]], T>(
  scopes: string | readonly string[],
  endpoint: (...args: A) => T,
  options?: RequiresOptions,
): (...args: A) => T | Response;
export function requires<W extends GuardedWebSocket>(
  scopes: string | readonly string[],
  handler: (websocket: W) => Promise<void> | void,
): (websocket: W) => Promise<void>;
export function requires(
  scopes: string | readonly string[],
  endpoint: (...args: unknown[]) => unknown,
  options: RequiresOptions = {},
): (...args: unknown[]) => unknown {
  if (typeof endpoint !== 'function') throw new TypeError('requires() wraps an endpoint: requires(scopes, (request) => ...)');
  const needed = typeof scopes === 'string' ? [scopes] : [...scopes];
  return (...args: unknown[]) => {
    const first = args[0];
    if (isGuardedWebSocket(first)) {
      return hasRequiredScope(first.request, needed) ? Promise.resolve(endpoint(...args)).then(() => undefined) : first.close();
    }
    return refusal(first as Request, needed, options) ?? endpoint(...args);
  };
}

/** Options of {@link RequiresMiddleware}. */
export interface RequiresMiddlewareOptions extends RequiresOptions {
  /** The scopes every request must have been granted. */
  scopes: string | readonly string[];
}

/**
 * {@link requires} as a middleware, for a route's, a mount's or a router's `middleware` list:
 * `new Middleware(RequiresMiddleware, { scopes: 'authenticated' })`. Needs `AuthenticationMiddleware` outside it.
 */
export class RequiresMiddleware extends BaseHTTPMiddleware<RequiresMiddlewareOptions> {
  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const scopes = this.options.scopes;
    return refusal(request, typeof scopes === 'string' ? [scopes] : scopes, this.options) ?? callNext(request);
  }
}
