import type { Headers } from '../headers';
import type { Client, Request } from '../requests';
import { requestAuth, requestUser, type AuthCredentials, type BaseUser } from '../middleware/authentication';
import type { DependencyValue, DependsOptions } from '../dependencies';

/**
 * What a websocket knows of its handshake (Starlette's `HTTPConnection`): the request as the
 * middleware left it, and what they set up on it.
 *
 * @typeParam State - the type of `request.state`.
 * @typeParam Params - the path parameters of the route's template.
 */
export class HTTPConnection<State extends object = Record<string, unknown>, Params extends object = Record<string, unknown>> {
  /** The handshake request, as the middleware saw it. */
  readonly request: Request<State, Params>;

  /** @param request - the handshake request. */
  constructor(request: Request<State, Params>) {
    this.request = request;
  }

  /** The URL of the handshake, with the `ws` or `wss` scheme. */
  get url(): URL {
    const url = new URL(this.request.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url;
  }

  /** The handshake's headers. */
  get headers(): Headers {
    return this.request.headers;
  }

  /** The handshake's query parameters. */
  get queryParams(): URLSearchParams {
    return this.request.queryParams;
  }

  /** The route's path parameters, converted by their convertors. */
  get pathParams(): Params {
    return this.request.pathParams;
  }

  /** The handshake's cookies. */
  get cookies(): Record<string, string> {
    return this.request.cookies;
  }

  /** The client, as the middleware left it (`ProxyHeadersMiddleware` behind a trusted proxy). */
  get client(): Client | null {
    return this.request.client;
  }

  /** The handshake request's `state`, shared with the middleware. */
  get state(): State {
    return this.request.state;
  }

  /** The session `SessionMiddleware` loaded for the handshake (changes after `accept()` are not saved). */
  get session(): Record<string, unknown> {
    return this.request.session;
  }

  /** The user `AuthenticationMiddleware` set on the handshake. */
  get user(): BaseUser {
    return requestUser(this.request as Request);
  }

  /** The credentials `AuthenticationMiddleware` set on the handshake. */
  get auth(): AuthCredentials {
    return requestAuth(this.request as Request);
  }

  /**
   * `request.depends` on the handshake request: the same per-request cache as the middleware's;
   * request-scoped exit code runs after the socket closed.
   */
  depends<R>(fn: (request: Request<State, Params>) => R, options?: DependsOptions): Promise<DependencyValue<R>> {
    return this.request.depends(fn as (request: Request<State, Params>) => R, options);
  }
}
