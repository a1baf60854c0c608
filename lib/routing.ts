import { HTTPException } from './exceptions';
import type { HTTPApp, MiddlewareSpec } from './middleware/base';
import type { Request } from './requests';
import { JSONResponse, RedirectResponse, Response } from './responses';
import { compilePath, type CompiledPath } from './paths';
import type { ExitStack } from './dependencies';
import { unwindFailedEndpoint } from './lifecycle';

/**
 * A route handler: a `Response` is sent as it is; any other value is sent as JSON (200).
 *
 * @typeParam R - the request type, `Request<State>` in an `Application<State>`.
 */
export type Endpoint<R extends Request<object> = Request> = (request: R) => unknown;

/** How well a route fits a request: not at all, by path only (→ 405), or by path and method. */
export const Match = {
  /** The route does not match. */
  None: 0,
  /** The path matches but not the method. */
  Partial: 1,
  /** The path and the method match. */
  Full: 2,
} as const;
/** One of the values of {@link Match}. */
export type Match = (typeof Match)[keyof typeof Match];

/** One entry of a router: a {@link Route} or a {@link Mount}. */
export interface BaseRoute extends HTTPApp {
  /** The path template of a route, the prefix of a mount. */
  readonly path: string;
  /** Matches `routePath` (the path below any mount); on a match, fills in `params`. */
  matches(routePath: string, method: string, params: Record<string, unknown>): Match;
  /** Methods accepted, for the `Allow` header of a 405; undefined when any method is. */
  readonly methods?: ReadonlySet<string>;
}

/** Options of {@link Route}. */
export interface RouteOptions {
  /** Methods answered; `['GET']` by default. A GET route answers HEAD too. */
  methods?: readonly string[];
  /** Middleware wrapping only this route; the first in the list is the outermost. */
  middleware?: readonly MiddlewareSpec[];
  /** A name for the route. */
  name?: string;
  /** The largest request body this route reads, in bytes, in place of the application's `maxBodySize`. */
  maxBodySize?: number;
  /** Seconds this route's responses may wait for the client to take a byte, in place of the application's `sendTimeout`; 0 for none. */
  sendTimeout?: number;
}

function wrap(app: HTTPApp, middleware: readonly MiddlewareSpec[] = []): HTTPApp {
  return middleware.reduceRight((inner, spec) => spec.build(inner), app);
}

/** Errors raised by function-scoped exit code propagate as the endpoint's; nothing to report apart. */
const ignore = (): void => undefined;

function toResponse(value: unknown): Response {
  return value instanceof Response ? value : new JSONResponse(value);
}

/**
 * Calls an endpoint and turns what it returns into a `Response`. A synchronous endpoint with no
 * function-scoped dependencies is answered without a trip through the microtask queue.
 */
class EndpointApp implements HTTPApp {
  constructor(private readonly endpoint: Endpoint) {}

  handle(request: Request): Promise<Response> {
    let value: unknown;
    let then: unknown;
    try {
      value = this.endpoint(request);
      // Read once, inside the try, as `await` would: a `then` getter that throws fails the endpoint.
      if ((typeof value === 'object' && value !== null) || typeof value === 'function') then = (value as { then?: unknown }).then;
    } catch (error) {
      return this.failed(request, error);
    }
    if (typeof then === 'function') {
      const thenable = value;
      const settled =
        thenable instanceof Promise
          ? thenable
          : new Promise<unknown>((resolve, reject) => (then as PromiseLike<unknown>['then']).call(thenable, resolve, reject));
      return settled.then(
        (resolved) => this.respond(request, resolved),
        (error: unknown) => this.failed(request, error),
      );
    }
    try {
      return Promise.resolve(this.respond(request, value));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The response for the endpoint's value, after the function-scoped exit code if there is any. A
   * plain value, not a promise, when there is none: handed back from a promise reaction, a promise
   * would cost two more turns of the microtask queue.
   */
  private respond(request: Request, value: unknown): Response | Promise<Response> {
    if (request.functionExits !== undefined) return this.unwindThenRespond(request, value);
    try {
      return toResponse(value);
    } catch (error) {
      return this.failed(request, error);
    }
  }

  private async unwindThenRespond(request: Request, value: unknown): Promise<Response> {
    const raised = await (request.functionExits as ExitStack).unwind(undefined, ignore);
    if (raised !== undefined) return this.failed(request, raised);
    try {
      return toResponse(value);
    } catch (error) {
      return this.failed(request, error);
    }
  }

  private async failed(request: Request, error: unknown): Promise<Response> {
    throw await unwindFailedEndpoint(request, error);
  }
}

/** A path template (`/items/{id:int}`) bound to an endpoint for some methods. */
export class Route implements BaseRoute {
  /** The path template, such as `/items/{id:int}`. */
  readonly path: string;
  readonly methods: ReadonlySet<string>;
  /** `options.name`, else the endpoint function's name, if any. */
  readonly name: string | undefined;
  /** The endpoint, as given. */
  readonly endpoint: Endpoint;
  /** The middleware wrapping only this route, outermost first. */
  readonly middleware: readonly MiddlewareSpec[];
  private readonly compiled: CompiledPath;
  private readonly app: HTTPApp;
  private readonly maxBodySize: number | undefined;
  private readonly sendTimeout: number | undefined;

  constructor(path: string, endpoint: Endpoint, options: RouteOptions = {}) {
    if (!path.startsWith('/')) throw new Error(`Routed paths must start with '/': ${JSON.stringify(path)}`);
    this.path = path;
    this.endpoint = endpoint;
    this.name = options.name ?? (endpoint.name || undefined);
    const methods = new Set((options.methods ?? ['GET']).map((m) => m.toUpperCase()));
    if (methods.has('GET')) methods.add('HEAD');
    this.methods = methods;
    this.compiled = compilePath(path);
    this.middleware = [...(options.middleware ?? [])];
    this.app = wrap(new EndpointApp(endpoint), this.middleware);
    this.maxBodySize = options.maxBodySize;
    this.sendTimeout = options.sendTimeout;
  }

  /** The path when it has no parameters (routers look those up in a map). */
  get staticPath(): string | undefined {
    return this.compiled.isStatic ? this.path : undefined;
  }

  matches(routePath: string, method: string, params: Record<string, unknown>): Match {
    if (!this.compiled.match(routePath, params)) return Match.None;
    return this.methods.has(method) ? Match.Full : Match.Partial;
  }

  /** Runs the route's middleware and endpoint, with the route's `maxBodySize` and `sendTimeout` (if any) set on the request. */
  handle(request: Request): Promise<Response> {
    if (this.maxBodySize !== undefined) request.maxBodySize = this.maxBodySize;
    if (this.sendTimeout !== undefined) request.sendTimeout = this.sendTimeout;
    return this.app.handle(request);
  }
}

/** Options of {@link Mount}. */
export interface MountOptions {
  /** Middleware wrapping only the mounted app; the first in the list is the outermost. */
  middleware?: readonly MiddlewareSpec[];
  /** A name for the mount. */
  name?: string;
}

/**
 * Serves everything under a path prefix with another app (an `Application`, a `Router`, any
 * `HTTPApp`). Inside it, `request.rootPath` ends with the prefix and routing sees the rest.
 */
export class Mount implements BaseRoute {
  /** The prefix, without trailing slashes (`''` for the root). */
  readonly path: string;
  /** `options.name`, if given. */
  readonly name: string | undefined;
  /** The app served under the prefix, as given. */
  readonly mounted: HTTPApp;
  /** The middleware wrapping only the mounted app, outermost first. */
  readonly middleware: readonly MiddlewareSpec[];
  private readonly compiled: CompiledPath;
  private readonly app: HTTPApp;

  constructor(path: string, app: HTTPApp, options: MountOptions = {}) {
    if (path !== '' && !path.startsWith('/')) throw new Error(`Routed paths must start with '/': ${JSON.stringify(path)}`);
    this.path = path.replace(/\/+$/, '');
    this.name = options.name;
    this.compiled = compilePath(`${this.path}/{__mount_rest:path}`);
    this.mounted = app;
    this.middleware = [...(options.middleware ?? [])];
    this.app = wrap(app, this.middleware);
  }

  matches(routePath: string, _method: string, params: Record<string, unknown>): Match {
    if (!this.compiled.match(routePath, params)) return Match.None;
    const rest = params.__mount_rest as string;
    delete params.__mount_rest;
    // The prefix consumed is the route path minus "/" + rest; remembered for handle().
    params[MOUNT_PREFIX] = routePath.slice(0, routePath.length - rest.length - 1);
    return Match.Full;
  }

  /** Runs the mounted app, through the mount's middleware. */
  handle(request: Request): Promise<Response> {
    return this.app.handle(request);
  }
}

const MOUNT_PREFIX = '\0mountPrefix';

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

/** Options of {@link Router}. */
export interface RouterOptions {
  /** Redirect `/path/` to `/path` (and back) when only the other one has a route. Default true. */
  redirectSlashes?: boolean;
}

/** The path below the mounts a request has gone through. */
function routePathOf(request: Request): string {
  const path = request.path;
  const root = request.rootPath;
  if (root === '') return path;
  if (path === root) return '';
  return path.startsWith(`${root}/`) ? path.slice(root.length) : path;
}

/**
 * Finds the route for a request, in registration order (the first full match wins); a path that
 * matched with another method gives 405 with `Allow`, no match 404. Parameter-free paths are
 * looked up in a map when no earlier route could match them.
 */
export class Router implements HTTPApp {
  /** Routes and mounts, in matching order; add to it with {@link Router.add}, which keeps the lookup map current. */
  readonly routes: BaseRoute[] = [];
  private readonly redirectSlashes: boolean;
  private staticTable: Map<string, BaseRoute[]> | undefined;

  constructor(routes: Iterable<BaseRoute> = [], options: RouterOptions = {}) {
    for (const route of routes) this.routes.push(route);
    this.redirectSlashes = options.redirectSlashes ?? true;
  }

  /** Adds a route or a mount at the end. */
  add(route: BaseRoute): void {
    this.routes.push(route);
    this.staticTable = undefined;
  }

  /**
   * Hands the request to the first route that fully matches. Otherwise, in this order: a 405 when the
   * path matched for other methods only, a trailing-slash redirect (see {@link RouterOptions.redirectSlashes}),
   * a 404. The 405 and 404 are rejections with an `HTTPException`.
   */
  handle(request: Request): Promise<Response> {
    const routePath = routePathOf(request);
    const method = request.method;
    const candidates = (this.staticTable ??= this.buildStaticTable()).get(routePath) ?? this.routes;
    let partial: BaseRoute | undefined;
    let allowed: Set<string> | undefined;
    // A route writes parameters only when its path matched, so one object serves every miss.
    let params: Record<string, unknown> = {};
    for (const route of candidates) {
      const match = route.matches(routePath, method, params);
      if (match === Match.Full) return this.enter(route, request, params);
      if (match === Match.Partial) {
        params = {};
        partial ??= route;
        allowed ??= new Set();
        for (const m of route.methods ?? []) allowed.add(m);
      }
    }
    if (partial !== undefined) {
      return Promise.reject(new HTTPException(405, 'Method Not Allowed', { allow: [...(allowed ?? [])].join(', ') }));
    }
    if (this.redirectSlashes && routePath !== '/' && request.method !== 'CONNECT') {
      const toggled = routePath.endsWith('/') ? routePath.replace(/\/+$/, '') : `${routePath}/`;
      if (this.routes.some((route) => route.matches(toggled, method, {}) !== Match.None)) {
        const url = new URL(request.url);
        url.pathname = url.pathname.endsWith('/') ? url.pathname.replace(/\/+$/, '') : `${url.pathname}/`;
        return Promise.resolve(new RedirectResponse(url));
      }
    }
    return Promise.reject(new HTTPException(404));
  }

  private enter(route: BaseRoute, request: Request, params: Record<string, unknown>): Promise<Response> {
    const prefix = params[MOUNT_PREFIX];
    if (prefix !== undefined) {
      delete params[MOUNT_PREFIX];
      request.rootPath += prefix as string;
    }
    if (!isEmpty(params)) request.pathParams = isEmpty(request.pathParams) ? params : { ...request.pathParams, ...params };
    return route.handle(request);
  }

  /**
   * Static paths whose routes can be found by lookup: those that no earlier parametrized route
   * or mount matches. Any other path goes through the ordered scan.
   */
  private buildStaticTable(): Map<string, BaseRoute[]> {
    const table = new Map<string, BaseRoute[]>();
    const blocked = new Set<string>();
    const dynamic: BaseRoute[] = [];
    for (const route of this.routes) {
      const path = route instanceof Route ? route.staticPath : undefined;
      if (path === undefined) {
        dynamic.push(route);
        continue;
      }
      if (blocked.has(path)) continue;
      if (dynamic.some((earlier) => earlier.matches(path, '', {}) !== Match.None)) {
        blocked.add(path);
        table.delete(path);
        continue;
      }
      const entry = table.get(path);
      if (entry) entry.push(route);
      else table.set(path, [route]);
    }
    // A static path also matched by a later dynamic route needs those routes for 405's Allow.
    for (const [path, routes] of table) {
      for (const route of dynamic) if (route.matches(path, '', {}) !== Match.None) routes.push(route);
    }
    return table;
  }
}
