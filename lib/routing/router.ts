import { HTTPException } from '../exceptions';
import type { HTTPApp } from '../middleware/base';
import { callDirect, settled } from '../middleware/direct';
import type { Request } from '../requests';
import { RedirectResponse, type Response } from '../responses';
import { RouteIndex } from './lookup';
import { Mount, MOUNT_PREFIX } from './mount';
import { urlPathFor } from './reverse';
import { isCompiledRoute, Match, type BaseRoute } from './route';
import { DEFAULT_MAX_PARAM_LENGTH } from './template';

/** The method a websocket handshake is routed with (only a `WebSocketRoute` matches it). */
export const WEBSOCKET_METHOD = 'WEBSOCKET';

/** Options of {@link Router}. */
export interface RouterOptions {
  /** Redirect `/path/` to `/path` (and back) when only the other one has a route. Default true. */
  redirectSlashes?: boolean;
  /**
   * The longest value a path parameter takes, in characters (Fastify's `maxParamLength`); a longer
   * one does not match, so the request ends in a 404 unless another route matches. `path`
   * parameters have no limit. Default 100.
   */
  maxParamLength?: number;
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
 * The router's 404 or 405, without a stack trace: it would only ever point here, and capturing it
 * is most of what constructing the error costs (about 2 µs of a 404).
 */
function routingError(statusCode: number, detail?: string, headers?: Record<string, string>): HTTPException {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new HTTPException(statusCode, detail, headers);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

/** The router of a mounted app: itself, or an application's `router` (not imported: routing sits below it). */
function innerRouter(app: unknown): Router | undefined {
  if (app instanceof Router) return app;
  const router = (app as { router?: unknown }).router;
  return router instanceof Router ? router : undefined;
}

const SLASH_RUNS = [4096, 256, 16, 1].map((length) => '/'.repeat(length));

/**
 * `path` without its trailing slashes. `/\/+$/` is quadratic on a run of slashes, and a loop over
 * characters costs about 2 ns each: runs are compared natively, longest first.
 */
function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  for (const run of SLASH_RUNS) while (end >= run.length && path.endsWith(run, end)) end -= run.length;
  return path.slice(0, end);
}

/**
 * Finds the route for a request as an ordered scan would: the first route in registration order
 * that fully matches wins; a path that matched with other methods only gives 405 with `Allow`, no
 * match 404. The routes are indexed by their leading segments when the router first routes (and
 * again after a route is added), so a request is checked only against the routes that can match it.
 */
export class Router implements HTTPApp {
  /** Routes and mounts, in matching order. Add with {@link Router.add}; the index follows additions either way. */
  readonly routes: BaseRoute[] = [];
  private readonly redirectSlashes: boolean;
  private readonly maxParamLength: number;
  private index: RouteIndex | undefined;
  private indexed: readonly BaseRoute[] = [];

  constructor(routes: Iterable<BaseRoute> = [], options: RouterOptions = {}) {
    for (const route of routes) this.routes.push(route);
    this.redirectSlashes = options.redirectSlashes ?? true;
    this.maxParamLength = options.maxParamLength ?? DEFAULT_MAX_PARAM_LENGTH;
  }

  /** Adds a route or a mount at the end. */
  add(route: BaseRoute): void {
    this.routes.push(route);
    this.index = undefined;
  }

  /**
   * Hands the request to the first route that fully matches. Otherwise, in this order: a 405 when the
   * path matched for other methods only, a trailing-slash redirect (see {@link RouterOptions.redirectSlashes}),
   * a 404. The 405 and 404 are rejections with an `HTTPException`. On a match, `request.route` and
   * `request.routeTemplate` name the route; on a 405, a redirect or a 404 both are undefined. A
   * websocket handshake (`request.isWebSocket`) matches only websocket routes (a route's `matches`
   * gets the method `WEBSOCKET`), and without one it is a 404: no 405, no redirect.
   */
  handle(request: Request): Promise<Response> {
    const outcome = this.handleOrError(request);
    return outcome instanceof HTTPException ? Promise.reject(outcome) : settled(outcome);
  }

  /**
   * @internal {@link Router.handle} with its 404 or 405 returned instead of rejected: the
   * exception layer right outside answers it without a rejected promise, whose unhandled-rejection
   * bookkeeping (made before a handler is attached, undone after) was most of a 404's cost.
   */
  handleOrError(request: Request): Response | Promise<Response> | HTTPException {
    const routePath = routePathOf(request);
    // A handshake matches only websocket routes; an HTTP route on its path gives it a 404, not a 405.
    const websocket = request.isWebSocket;
    const method = websocket ? WEBSOCKET_METHOD : request.method;
    const routes = this.routes;
    const index = this.currentIndex();
    let partial = false;
    let allowed: Set<string> | undefined;
    // A route writes parameters only when its path matched, so one object serves every miss.
    let params: Record<string, unknown> = {};
    for (const i of index.candidates(routePath)) {
      const route = routes[i];
      const match = isCompiledRoute(route)
        ? route.matchPath(routePath, method, params, this.maxParamLength)
        : route.matches(routePath, method, params);
      if (match === Match.Full) return this.enter(route, request, params);
      if (match === Match.Partial) {
        params = {};
        partial = true;
        allowed ??= new Set();
        for (const m of route.methods ?? []) allowed.add(m);
      }
    }
    request.route = undefined;
    request.routeTemplate = undefined;
    if (websocket) return Promise.reject(routingError(404));
    if (partial) {
      return routingError(405, 'Method Not Allowed', { allow: [...(allowed ?? [])].join(', ') });
    }
    if (this.redirectSlashes && routePath !== '/' && method !== 'CONNECT') {
      const toggled = routePath.endsWith('/') ? withoutTrailingSlashes(routePath) : `${routePath}/`;
      if (this.anyMatches(toggled, method)) {
        const url = new URL(request.url);
        url.pathname = url.pathname.endsWith('/') ? withoutTrailingSlashes(url.pathname) : `${url.pathname}/`;
        return Promise.resolve(new RedirectResponse(url));
      }
    }
    return routingError(404);
  }

  /**
   * The template {@link Router.handle} would give `request` (`request.routeTemplate`), found
   * without running anything: for what must label a request before routing runs, such as the
   * `http_requests_in_progress` gauge. Undefined when no route would fully match. It descends into
   * mounted `Router`s and `Application`s; another mounted app is labelled `{mount}/{path:path}`.
   * Called from a route's or a mount's own middleware, where routing is halfway, it gives the same answer.
   */
  templateFor(request: Request): string | undefined {
    const entered = request.route;
    if (entered instanceof Mount && request.routeTemplate === `${request.mountTemplate}/{path:path}`) {
      // In a mount's own middleware: routing has entered the mount, and its app routes next.
      const inner = innerRouter(entered.mounted);
      return inner === undefined ? request.routeTemplate : inner.findTemplate(routePathOf(request), request.method, request.mountTemplate);
    }
    // In a route's own middleware routing has already chosen.
    if (request.routeTemplate !== undefined) return request.routeTemplate;
    return this.findTemplate(routePathOf(request), request.method, request.mountTemplate);
  }

  private findTemplate(routePath: string, method: string, mountTemplate: string): string | undefined {
    let params: Record<string, unknown> = {};
    for (const i of this.currentIndex().candidates(routePath)) {
      const route = this.routes[i];
      const match = isCompiledRoute(route)
        ? route.matchPath(routePath, method, params, this.maxParamLength)
        : route.matches(routePath, method, params);
      if (match === Match.Full) {
        const template = mountTemplate + route.path;
        if (!(route instanceof Mount)) return template;
        const inner = innerRouter(route.mounted);
        if (inner === undefined) return `${template}/{path:path}`;
        return inner.findTemplate(routePath.slice((params[MOUNT_PREFIX] as string).length), method, template);
      }
      if (match === Match.Partial) params = {};
    }
    return undefined;
  }

  /**
   * The path of the route named `name` with `params` written in by the convertors (Starlette's
   * `url_path_for`); `mount:route` for a route inside a named mount. Throws an error naming the
   * route, or the missing or unexpected parameter.
   */
  urlPathFor(name: string, params: Readonly<Record<string, unknown>> = {}): string {
    return urlPathFor(this.routes, name, params);
  }

  private currentIndex(): RouteIndex {
    // Compared by length too: code that pushes onto `routes` directly gets a current index as well.
    if (this.index === undefined || this.indexed.length !== this.routes.length) {
      this.indexed = [...this.routes];
      this.index = new RouteIndex(this.indexed.map((route) => (isCompiledRoute(route) ? route.compiled : undefined)));
    }
    return this.index;
  }

  /** Whether any route matches `path` at all (for the trailing-slash redirect): one lookup, not a scan. */
  private anyMatches(path: string, method: string): boolean {
    for (const i of this.currentIndex().candidates(path)) {
      const route = this.routes[i];
      const match = isCompiledRoute(route) ? route.matchPath(path, method, {}, this.maxParamLength) : route.matches(path, method, {});
      if (match !== Match.None) return true;
    }
    return false;
  }

  private enter(route: BaseRoute, request: Request, params: Record<string, unknown>): Response | Promise<Response> {
    const prefix = params[MOUNT_PREFIX];
    if (prefix !== undefined) {
      delete params[MOUNT_PREFIX];
      request.rootPath += prefix as string;
    }
    if (!isEmpty(params)) request.pathParams = isEmpty(request.pathParams) ? params : { ...request.pathParams, ...params };
    const template = request.mountTemplate + route.path;
    if (route instanceof Mount) {
      // What answers inside names itself; an app without routes (static files) is labelled by the mount.
      request.mountTemplate = template;
      request.route = route;
      request.routeTemplate = `${template}/{path:path}`;
    } else {
      request.route = route;
      request.routeTemplate = template;
    }
    return callDirect(route, request);
  }
}
