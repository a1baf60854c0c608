import { BackgroundTasks } from './background';
import { parseCookies } from './cookies';
import { ExitStack, RequestDependencies, type DependencyValue, type DependsOptions } from './dependencies';
import type { FormData, FormOptions } from './forms';
import { Headers } from './headers';
import { FinishListeners, type FinishListener } from './finish';
import { isValidHost } from './host';
import { limitBody, parseJsonBody, readWhole } from './request-body';
import { readForm } from './request-form';
import { guardForm } from './poisoning';
import { checkPercentEncoding, decodePath, pathAndQuery } from './request-target';
import { checkConnectionOverride, type Client, type ConnectionOverride, type MatchedRoute, type RequestApp, type RequestSource } from './request-source';
import { RequestLogger, type LogBackend } from './request-log';
import { authOf, cspNonceOf, type AuthCredentials, type UserOf } from './auth/slot';

export { decodePath } from './request-target';
export type { Client, ConnectionOverride, MatchedRoute, RequestApp, RequestSource } from './request-source';

const DEFAULT_MAX_BODY_SIZE = 1024 * 1024;
const decoder = new TextDecoder();

/**
 * An incoming HTTP request. One object per request travels through every layer, so what a
 * middleware reads or sets (`state`, a body already read) is there for the endpoint too.
 * URL, headers, query and cookies are parsed on first access only.
 *
 * @typeParam State - the type of {@link Request.state}: an open record unless the application
 * declares one (`Application<{ user?: User }>` gives its endpoints a `Request<{ user?: User }>`).
 */
export class Request<State extends object = Record<string, unknown>, Params extends object = Record<string, unknown>> {
  /** The request method, such as `GET`. */
  readonly method: string;
  /** The application serving the request (the innermost mounted one, inside a mount). */
  app: RequestApp | undefined;
  /**
   * Path parameters of the matched route, converted by their convertors. In an endpoint its type
   * comes from the template: `{id:int}` is a `number`, `{name}` a `string`.
   */
  pathParams: Params = {} as Params;
  /**
   * The route that answered, set by routing: the innermost `Route` (or, for an app without routes
   * such as `StaticFiles`, its `Mount`). Undefined before routing and after a 404, a 405 or a
   * trailing-slash redirect. Outer middleware read it after `callNext` returns.
   */
  route: MatchedRoute | undefined;
  /**
   * The full template of {@link Request.route}, every mount and included router's prefix in
   * front: `/v1/users/{id:int}`. Label metrics, traces and logs by it, never by the raw path.
   * Undefined when `route` is.
   */
  routeTemplate: string | undefined;
  /** @internal The templates of the mounts entered so far, joined. */
  mountTemplate = '';
  /** The path prefix consumed by mounts on the way in (Starlette's `root_path`), after the application's own root path. */
  rootPath = '';
  /** @internal The application's root path (`rootPath` option, `serve --root-path`), prepended to `path` and `url`. */
  appRootPath = '';
  /** The largest body read, in bytes; set by a route's `maxBodySize`, else the application's. */
  maxBodySize: number | undefined;
  /** The send timeout of this request's response, in seconds; set by a route's `sendTimeout`, else the server's. */
  sendTimeout: number | undefined;

  private readonly source: RequestSource;
  private cachedUrl: URL | undefined;
  private connection: ConnectionOverride | undefined;
  private cachedHeaders: Headers | undefined;
  private cachedQuery: URLSearchParams | undefined;
  private cachedCookies: Record<string, string> | undefined;
  private cachedState: State | undefined;
  private cachedLog: RequestLogger | undefined;
  private logBackend: LogBackend | undefined;
  private cachedBody: Promise<Uint8Array> | undefined;
  private cachedJson: Promise<unknown> | undefined;
  private cachedPath: string | undefined;
  private controller: AbortController | undefined;
  private tasks: BackgroundTasks | undefined;
  private streamConsumed = false;
  private cachedForm: Promise<FormData> | undefined;
  private dependencies: RequestDependencies | undefined;
  /** @internal Exit code of dependencies with `scope: 'function'`, run when the endpoint returns. */
  functionExits: ExitStack | undefined;
  /** @internal Exit code run after the response was sent and the background tasks ran. */
  requestExits: ExitStack | undefined;
  /** @internal The error the endpoint failed with, thrown into dependency exit code. */
  endpointError: unknown;
  private openSession: (() => Record<string, unknown>) | undefined;
  private regenerate: (() => void) | undefined;

  /** @internal The response-finished listeners, once one was added; the adapter fires them. */
  finishListeners: FinishListeners | undefined;
  /** When the request arrived, on the `performance.now()` clock. */
  readonly startedAt: number;

  /** The application the adapter serves (the root, outside any mount). */
  private readonly rootApp: RequestApp | undefined;

  constructor(source: RequestSource, app?: RequestApp) {
    this.source = source;
    this.method = source.method;
    this.app = app;
    this.rootApp = app;
    this.startedAt = performance.now();
  }

  /**
   * The response-finished hook: `listener` is called once, after the response's last byte was
   * flushed to the connection, or when the client went away first (`completed: false`), with the
   * status, the body bytes sent and the duration since the request arrived. A streaming response
   * is timed to its end. Both adapters fire it; background tasks run after it, not before. Access
   * logs, metrics, spans and rate-limit bookkeeping end here.
   *
   * @example
   * ```ts
   * request.onFinish(({ statusCode, durationMs }) => histogram.observe({ status: statusCode }, durationMs));
   * ```
   */
  onFinish(listener: FinishListener): void {
    (this.finishListeners ??= new FinishListeners()).add(listener);
  }

  /**
   * The full URL, built from {@link Request.scheme}, {@link Request.host} and the request target:
   * what the client asked for, also behind a proxy once `ProxyHeadersMiddleware` has said so.
   */
  get url(): URL {
    if (this.cachedUrl === undefined) this.cachedUrl = this.buildUrl();
    return this.cachedUrl;
  }

  /**
   * The absolute URL of the route named `name` (Starlette's `url_for`): the application's
   * `urlPathFor(name, params)` on this request's scheme and host. `mount:route` names a route
   * inside a named mount. Throws when no route has the name or a parameter is missing or extra.
   */
  urlFor(name: string, params: Readonly<Record<string, unknown>> = {}): URL {
    const app = this.rootApp ?? this.app;
    if (app?.urlPathFor === undefined) throw new Error('request.urlFor needs an application with routes (urlPathFor)');
    return new URL(encodeURI(this.appRootPath) + app.urlPathFor(name, params), this.url.origin);
  }

  /**
   * The percent-decoded path, as routing sees it (mount prefixes included). Authorize on this, not
   * on `url.pathname`, which stays percent-encoded: `/%61dmin` is `/admin` here, as in routing.
   */
  get path(): string {
    if (this.cachedPath === undefined) {
      const target = this.source.target;
      const q = target.indexOf('?');
      const raw = target.startsWith('/') ? (q === -1 ? target : target.slice(0, q)) : pathAndQuery(this.source.target).split('?')[0];
      this.cachedPath = this.appRootPath + decodePath(raw);
    }
    return this.cachedPath;
  }

  /** The request headers, read on first access. */
  get headers(): Headers { return (this.cachedHeaders ??= this.source.headers()); }

  /** The query string's parameters; a malformed percent-escape in it is a 400. */
  get queryParams(): URLSearchParams {
    if (this.cachedQuery === undefined) {
      const target = this.source.target;
      const q = target.indexOf('?');
      const query = q === -1 ? '' : target.slice(q + 1);
      if (query.includes('%')) checkPercentEncoding(query);
      this.cachedQuery = new URLSearchParams(query);
    }
    return this.cachedQuery;
  }

  /** The cookies of the `Cookie` header, by name. */
  get cookies(): Record<string, string> { return (this.cachedCookies ??= parseCookies(this.headers.get('cookie'))); }

  /**
   * The client: the peer of the connection, or who a middleware said it is
   * ({@link Request.setConnection}, as `ProxyHeadersMiddleware` does behind a trusted proxy); null
   * when unknown (the Fetch adapter never knows the peer).
   */
  get client(): Client | null {
    const override = this.connection;
    return override !== undefined && override.client !== undefined ? override.client : this.source.client();
  }

  /** The HTTP version of the request (`1.1`, `1.0`, `2.0`); `1.1` when the adapter does not say (the Fetch adapter). */
  get httpVersion(): string {
    return this.source.httpVersion ?? '1.1';
  }

  /** The scheme the client used: the connection's (`http`, `https`), unless a middleware said otherwise. */
  get scheme(): string {
    return this.connection?.scheme ?? this.source.scheme;
  }

  /** The host (and port) the client asked for: the `Host` header, unless a middleware said otherwise; null without one. */
  get host(): string | null {
    return this.connection?.host ?? this.headers.get('host');
  }

  /**
   * The one way for a middleware to correct what the connection says: who the client is, which
   * scheme and which host it used (behind a proxy, the proxy's view is not the client's). Everything
   * downstream reads the result: {@link Request.client}, {@link Request.scheme}, {@link Request.host},
   * {@link Request.url}, redirects, `HTTPSRedirectMiddleware`, `TrustedHostMiddleware`, access logs.
   * Fields left out are kept; a later call overrides an earlier one field by field.
   *
   * @throws TypeError for a scheme other than `http`, `https`, `ws`, `wss`, or a host that is not
   * a valid `Host` value (see `docs/production.md`).
   */
  setConnection(override: ConnectionOverride): void {
    checkConnectionOverride(override);
    this.connection = { ...this.connection, ...override };
    this.cachedUrl = undefined;
  }

  /** True for a websocket handshake (`Upgrade: websocket`): its answer is a 101 and a websocket session (Node adapter). */
  get isWebSocket(): boolean {
    return this.source.isWebSocket === true;
  }

  /** True once the client went away before the response was complete. */
  get disconnected(): boolean {
    return this.source.disconnected?.() ?? false;
  }

  /** One object per request, shared by every middleware and the endpoint. */
  get state(): State {
    return (this.cachedState ??= { ...(this.rootApp ?? this.app)?.lifespanState } as State);
  }

  /**
   * A logger bound to this request: every line carries the request id (with `RequestIdMiddleware`),
   * the method and the route template. It writes to `console` unless a middleware chose another
   * backend with {@link Request.setLogBackend} (`pinoBackend(pino())` for JSON lines).
   */
  get log(): RequestLogger {
    return (this.cachedLog ??= new RequestLogger(this, this.logBackend ?? console));
  }

  /** Sets where {@link Request.log} writes, for the rest of this request (call it before the first `log`). */
  setLogBackend(backend: LogBackend): void {
    this.logBackend = backend;
    this.cachedLog = undefined;
  }

  /**
   * Aborted when the client disconnects before the response is complete (reason: an `Error`
   * "Client disconnected"), or when a middleware gives up on the request, such as
   * `TimeoutMiddleware` (reason: a `DOMException` named `TimeoutError`).
   */
  get signal(): AbortSignal {
    return this.abortController().signal;
  }

  /**
   * @internal Aborts {@link Request.signal} with `reason`, for middleware that gives up on the
   * request (`TimeoutMiddleware`). Does nothing when the signal was already aborted.
   */
  abort(reason: unknown): void {
    this.abortController().abort(reason);
  }

  /** Tasks to run after the response has been sent, after the response's own tasks. */
  get backgroundTasks(): BackgroundTasks {
    return (this.tasks ??= new BackgroundTasks());
  }

  /**
   * The session data, a plain object that `SessionMiddleware` loads from the session cookie and
   * saves back when it was changed.
   *
   * @throws Error when no `SessionMiddleware` is installed in front of this request.
   */
  get session(): Record<string, unknown> {
    if (this.openSession === undefined) throw new Error('SessionMiddleware must be installed to access request.session');
    return this.openSession();
  }

  /** @internal Used by `SessionMiddleware`: `open` gives the session on every access (it loads it on the first). */
  attachSession(open: () => Record<string, unknown>, regenerate?: () => void): void {
    this.openSession = open;
    this.regenerate = regenerate;
  }

  /**
   * Gives the session a new id, keeping its data, and invalidates the old id once the response is
   * ready: call it at login so an id planted before login (session fixation) is worth nothing.
   * Needs `SessionMiddleware` with a `store`; a cookie-only session has no id to renew.
   *
   * @throws Error when the session is not kept in a store.
   */
  regenerateSession(): void {
    if (this.regenerate === undefined) throw new Error('regenerateSession() needs SessionMiddleware with a store option');
    this.regenerate();
  }

  /** @internal The request-scoped tasks, if any were added. */
  pendingTasks(): BackgroundTasks | undefined {
    return this.tasks;
  }

  /** The whole body as bytes; read once and cached, so every layer can read it again. */
  body(): Promise<Uint8Array> {
    if (this.cachedBody === undefined) {
      if (this.streamConsumed) return Promise.reject(new Error('The request body stream was already consumed by request.stream()'));
      this.cachedBody = readWhole(this.limited());
    }
    return this.cachedBody;
  }

  /** The whole body decoded as UTF-8 (see {@link Request.body}). */
  async text(): Promise<string> {
    return decoder.decode(await this.body());
  }

  /**
   * The body parsed as JSON; a malformed body is a 400. So is, by default, a body with a
   * `__proto__` key or a `constructor` key holding a `prototype` key (the application's
   * `onProtoPoisoning` and `onConstructorPoisoning` can remove them instead, or allow them).
   */
  json<T = unknown>(): Promise<T> {
    this.cachedJson ??= this.text().then((text) => parseJsonBody(text, this.app));
    return this.cachedJson as Promise<T>;
  }

  /**
   * The body in chunks as they arrive, without buffering it. After the body was read whole it
   * yields the cached bytes; otherwise the stream can be consumed only once.
   */
  async *stream(): AsyncGenerator<Uint8Array> {
    if (this.cachedBody !== undefined) {
      const body = await this.cachedBody;
      if (body.byteLength > 0) yield body;
      return;
    }
    if (this.streamConsumed) throw new Error('The request body stream was already consumed');
    this.streamConsumed = true;
    yield* this.limited();
  }

  /**
   * The body parsed as a form: `application/x-www-form-urlencoded` or `multipart/form-data`
   * (uploads stream to memory up to `spoolSize`, then to a temporary file removed after the
   * response). Any other content type is a 415; a malformed body, too many fields or too long a
   * field name a 400, and by default a field named `__proto__` too (see the application's `onProtoPoisoning`).
   */
  form(options?: FormOptions): Promise<FormData> {
    return (this.cachedForm ??= readForm(this, options).then((form) => guardForm(form, this.app?.onProtoPoisoning)));
  }

  /**
   * Resolves a dependency once per request (cached by `fn` and its scope). `fn` may return a value
   * or a promise, or be a generator: the value it yields is returned, and the code after its `yield`
   * runs later (see {@link DependsOptions.scope}), with the endpoint's error thrown in at the `yield`
   * if it failed. Rejects with a `DependencyScopeError` when the setup code of a request-scoped
   * generator asks for a function-scoped dependency.
   */
  depends<R>(fn: (request: this) => R, options: DependsOptions = {}): Promise<DependencyValue<R>> {
    const scope = options.scope ?? 'request';
    const exits = (): ExitStack =>
      scope === 'function' ? (this.functionExits ??= new ExitStack()) : (this.requestExits ??= new ExitStack());
    return (this.dependencies ??= new RequestDependencies()).resolve(fn, this, scope, exits, Request.prototype.depends) as Promise<DependencyValue<R>>;
  }

  /** The user `AuthenticationMiddleware` found (Starlette's `request.user`), typed by `Authenticated<User>` in `State`; throws without it. */
  get user(): UserOf<State> { return authOf(this, 'user').user as UserOf<State>; }
  /** The credentials `AuthenticationMiddleware` granted (Starlette's `request.auth`); throws without it. */
  get auth(): AuthCredentials { return authOf(this, 'auth').credentials; }
  /** This request's CSP nonce, made by `SecurityHeadersMiddleware` with `cspNonce: true`; throws without it. */
  get cspNonce(): string { return cspNonceOf(this); }

  private abortController(): AbortController {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      this.source.onDisconnect(() => controller.abort(new Error('Client disconnected')));
    }
    return this.controller;
  }

  /** @internal The largest body this request reads: the route's `maxBodySize`, else the application's, else 1 MiB. */
  bodyLimit(): number {
    return this.maxBodySize ?? this.app?.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
  }

  private limited(): AsyncGenerator<Uint8Array> {
    return limitBody(this.source.body(), this.bodyLimit(), this.headers.get('content-length'));
  }

  /**
   * The host always comes from the `Host` header, never from an absolute-form target, so that
   * what `TrustedHostMiddleware` checks is what redirects are built from. Both adapters answer 400
   * to a `Host` that {@link isValidHost} refuses before the stack runs, so the URL's host is the
   * header's; `localhost` stands in only for a request without one (HTTP/1.0).
   */
  private buildUrl(): URL {
    const header = this.host;
    const host = header !== null && isValidHost(header) ? header : 'localhost';
    return new URL(`${this.scheme}://${host}${encodeURI(this.appRootPath)}${pathAndQuery(this.source.target)}`);
  }
}
