import type { MiddlewareSpec } from '../middleware/base';
import type { Request } from '../requests';
import type { Endpoint } from './endpoint';
import type { PathParams } from './params';
import { Route, type RouteOptions } from './route';
import type { WebSocketLimits } from '../websockets/connection';
import { WebSocketRoute, type WebSocketHandler, type WebSocketRouteOptions } from '../websockets/route';
import type { WebSocket } from '../websockets/websocket';

/** Options of {@link APIRouter}; middleware declaring a `request.state` that `State` lacks is a compile error. */
export interface APIRouterOptions<Prefix extends string = string, State extends object = never> {
  /** Put in front of every route's path (`/users`): no trailing slash. */
  prefix?: Prefix;
  /** Middleware wrapping only this router's routes, the first in the list outermost, inside the application's. */
  middleware?: readonly MiddlewareSpec<NoInfer<State>>[];
  /** Labels for the routes (FastAPI's `tags`), kept on each route for documentation and tooling. */
  tags?: readonly string[];
}

/** Options of {@link APIRouter.includeRouter} and `Application.includeRouter`. */
export interface IncludeOptions<State extends object = never> {
  /** Put in front of the included router's own prefix. */
  prefix?: string;
  /** Middleware wrapping the included routes, outside the router's own. */
  middleware?: readonly MiddlewareSpec<NoInfer<State>>[];
  /** Added to the included routes' tags. */
  tags?: readonly string[];
}

/** A route as a router keeps it until it is included: what it takes to build the `Route` then. */
export interface RouteDefinition {
  /** The full path, every prefix in front. */
  readonly path: string;
  /** The endpoint, as given. */
  readonly endpoint: Endpoint;
  /** The route's options; `middleware` lists every router's middleware, the outermost first. */
  readonly options: RouteOptions<never>;
  /** The tags of the route and of the routers it went through. */
  readonly tags: readonly string[];
  /** For a websocket route, its limits (`endpoint` is then its handler). */
  readonly websocket?: WebSocketLimits;
}

/** `router.get(path, endpoint, options)` and its siblings on an {@link APIRouter}. */
export type RouterMethod<State extends object, Prefix extends string> = <Path extends string>(
  path: Path,
  endpoint: Endpoint<Request<State, PathParams<`${Prefix}${Path}`>>>,
  options?: Omit<RouteOptions<State>, 'methods'>,
) => void;

function checkPrefix(prefix: string): void {
  if (prefix !== '' && (!prefix.startsWith('/') || prefix.endsWith('/'))) {
    throw new Error(`A router prefix must start with '/' and not end with '/': ${JSON.stringify(prefix)}`);
  }
}

/**
 * FastAPI's `APIRouter`: routes declared in a module of their own, then included into an
 * application (`app.includeRouter(users, { prefix: '/v1' })`) or into another router. Included
 * routes are routes of the application: its exception handlers, logger, `maxBodySize`, lifespan
 * state and `State` type apply to them, unlike an `Application` under `app.mount`, which keeps
 * its own. The routes are copied when the router is included, as in FastAPI: include it after
 * declaring them.
 *
 * @typeParam State - the `request.state` type of the application it is meant for.
 * @typeParam Prefix - the router's prefix, inferred from `options.prefix`; its parameters are typed in
 *   `request.pathParams` too. When `State` is given explicitly, give the prefix as well
 *   (`APIRouter<State, '/orgs/{org}'>`) to type a parameter of the prefix.
 */
export class APIRouter<State extends object = Record<string, unknown>, Prefix extends string = string> {
  /** The prefix put in front of every route. */
  readonly prefix: Prefix;
  /** The middleware wrapping only this router's routes, outermost first. */
  readonly middleware: readonly MiddlewareSpec<never>[];
  /** The router's tags. */
  readonly tags: readonly string[];
  private readonly definitions: RouteDefinition[] = [];

  constructor(options: APIRouterOptions<Prefix, State> = {}) {
    this.prefix = (options.prefix ?? '') as Prefix;
    checkPrefix(this.prefix);
    this.middleware = [...(options.middleware ?? [])];
    this.tags = [...(options.tags ?? [])];
  }

  /** The routes so far, with this router's prefix, middleware and tags applied. */
  get routes(): readonly RouteDefinition[] {
    return this.definitions.map((definition) => this.applied(definition, '', [], []));
  }

  /** Adds a route for `path` (below the prefix) answering `options.methods` (GET by default). */
  route<Path extends string>(path: Path, endpoint: Endpoint<Request<State, PathParams<`${Prefix}${Path}`>>>, options: RouteOptions<State> = {}): void {
    if (!path.startsWith('/')) throw new Error(`Routed paths must start with '/': ${JSON.stringify(path)}`);
    this.definitions.push({ path, endpoint: endpoint as Endpoint, options, tags: [] });
  }

  /** Adds a websocket route for `path` (below the prefix); see `Application.websocket`. */
  websocket<Path extends string>(
    path: Path,
    handler: WebSocketHandler<WebSocket<State, PathParams<`${Prefix}${Path}`>>>,
    options: WebSocketRouteOptions<State> = {},
  ): void {
    if (!path.startsWith('/')) throw new Error(`Routed paths must start with '/': ${JSON.stringify(path)}`);
    const { middleware, name, ...limits } = options;
    this.definitions.push({ path, endpoint: handler as unknown as Endpoint, options: { middleware, name }, tags: [], websocket: limits });
  }

  /** Adds a GET (and HEAD) route. */
  readonly get: RouterMethod<State, Prefix> = (path, endpoint, options) => this.route(path, endpoint, { ...options, methods: ['GET'] });
  /** Adds a POST route. */
  readonly post: RouterMethod<State, Prefix> = (path, endpoint, options) => this.route(path, endpoint, { ...options, methods: ['POST'] });
  /** Adds a PUT route. */
  readonly put: RouterMethod<State, Prefix> = (path, endpoint, options) => this.route(path, endpoint, { ...options, methods: ['PUT'] });
  /** Adds a PATCH route. */
  readonly patch: RouterMethod<State, Prefix> = (path, endpoint, options) => this.route(path, endpoint, { ...options, methods: ['PATCH'] });
  /** Adds a DELETE route. */
  readonly delete: RouterMethod<State, Prefix> = (path, endpoint, options) => this.route(path, endpoint, { ...options, methods: ['DELETE'] });
  /** Adds an OPTIONS route. */
  readonly options: RouterMethod<State, Prefix> = (path, endpoint, options) =>
    this.route(path, endpoint, { ...options, methods: ['OPTIONS'] });

  /** Includes another router's routes (as they are now) below this router's prefix. */
  includeRouter(router: APIRouter<State, string>, options: IncludeOptions<State> = {}): void {
    const prefix = options.prefix ?? '';
    checkPrefix(prefix);
    for (const definition of router.routes) {
      this.definitions.push({
        path: prefix + definition.path,
        endpoint: definition.endpoint,
        options: { ...definition.options, middleware: [...(options.middleware ?? []), ...(definition.options.middleware ?? [])] },
        tags: [...(options.tags ?? []), ...definition.tags],
        websocket: definition.websocket,
      });
    }
  }

  /** The `Route`s to add to an application, every prefix, middleware and tag applied. */
  buildRoutes(options: IncludeOptions<State> = {}): Array<Route | WebSocketRoute> {
    const prefix = options.prefix ?? '';
    checkPrefix(prefix);
    return this.definitions.map((definition) => {
      const { path, endpoint, options: routeOptions, tags, websocket } = this.applied(definition, prefix, options.middleware ?? [], options.tags ?? []);
      if (websocket !== undefined) {
        const handler = endpoint as unknown as WebSocketHandler<WebSocket<never, Record<string, unknown>>>;
        return new WebSocketRoute<string, never>(path, handler, { ...websocket, middleware: routeOptions.middleware, name: routeOptions.name });
      }
      return new Route<string, never>(path, endpoint, { ...routeOptions, tags });
    });
  }

  private applied(definition: RouteDefinition, prefix: string, middleware: readonly MiddlewareSpec<never>[], tags: readonly string[]): RouteDefinition {
    return {
      path: prefix + this.prefix + definition.path,
      endpoint: definition.endpoint,
      options: { ...definition.options, middleware: [...middleware, ...this.middleware, ...(definition.options.middleware ?? [])] },
      tags: [...tags, ...this.tags, ...definition.tags],
      websocket: definition.websocket,
    };
  }
}
