import type { HTTPApp, MiddlewareSpec } from '../middleware/base';
import { callDirect, settled } from '../middleware/direct';
import type { Request } from '../requests';
import type { Response } from '../responses';
import { EndpointApp, type Endpoint } from './endpoint';
import type { PathParams } from './params';
import { compilePath, DEFAULT_MAX_PARAM_LENGTH, type CompiledPath } from './template';

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

/** One entry of a router: a {@link Route} or a {@link Mount}, or an object of your own. */
export interface BaseRoute extends HTTPApp {
  /** The path template of a route, the prefix of a mount. */
  readonly path: string;
  /** Matches `routePath` (the path below any mount); on a match, fills in `params`. */
  matches(routePath: string, method: string, params: Record<string, unknown>): Match;
  /** Methods accepted, for the `Allow` header of a 405; undefined when any method is. */
  readonly methods?: ReadonlySet<string>;
  /** A name for reverse routing. */
  readonly name?: string;
}

/**
 * A route whose template the router's index can see into: {@link Route} and {@link Mount}.
 */
export interface CompiledRoute extends BaseRoute {
  /** The compiled template the router indexes the route by. */
  readonly compiled: CompiledPath;
  /** {@link BaseRoute.matches} with the router's `maxParamLength`. */
  matchPath(routePath: string, method: string, params: Record<string, unknown>, maxParamLength: number): Match;
}

/** True for a route the router can index. */
export function isCompiledRoute(route: BaseRoute): route is CompiledRoute {
  return typeof (route as Partial<CompiledRoute>).matchPath === 'function' && (route as Partial<CompiledRoute>).compiled !== undefined;
}

/**
 * Options of {@link Route}.
 *
 * @typeParam State - the application's `request.state`: middleware declaring more is a compile error.
 */
export interface RouteOptions<State extends object = never> {
  /** Methods answered; `['GET']` by default. A GET route answers HEAD too. */
  methods?: readonly string[];
  /** Middleware wrapping only this route; the first in the list is the outermost. */
  middleware?: readonly MiddlewareSpec<NoInfer<State>>[];
  /** A name for the route, for reverse routing ({@link Router.urlPathFor}); the endpoint function's name by default. */
  name?: string;
  /** The largest request body this route reads, in bytes, in place of the application's `maxBodySize`. */
  maxBodySize?: number;
  /** Seconds this route's responses may wait for the client to take a byte, in place of the application's `sendTimeout`; 0 for none. */
  sendTimeout?: number;
  /** The status of the JSON response an endpoint's plain return value becomes (FastAPI's `status_code`); 200 by default. */
  statusCode?: number;
  /** Labels for documentation and tooling (FastAPI's `tags`). */
  tags?: readonly string[];
}

/** Builds the middleware around an app, the first of the list outermost. */
export function wrap(app: HTTPApp, middleware: readonly MiddlewareSpec<never>[] = []): HTTPApp {
  return middleware.reduceRight((inner, spec) => spec.build(inner), app);
}

/**
 * A path template (`/items/{id:int}`) bound to an endpoint for some methods.
 *
 * @typeParam Path - the template; it types the endpoint's `request.pathParams` ({@link PathParams}).
 * @typeParam State - the type of `request.state` in the endpoint.
 */
export class Route<Path extends string = string, State extends object = Record<string, unknown>> implements CompiledRoute {
  /** The path template, such as `/items/{id:int}`. */
  readonly path: Path;
  readonly methods: ReadonlySet<string>;
  /** `options.name`, else the endpoint function's name, if any. */
  readonly name: string | undefined;
  /** The endpoint, as given. */
  readonly endpoint: Endpoint;
  /** The middleware wrapping only this route, outermost first. */
  readonly middleware: readonly MiddlewareSpec<never>[];
  /** The status of the JSON response a plain return value becomes, if not 200. */
  readonly statusCode: number | undefined;
  /** The route's tags (its own, then those of the routers it was included through). */
  readonly tags: readonly string[];
  /** @internal */
  readonly compiled: CompiledPath;
  private readonly app: HTTPApp;
  private readonly maxBodySize: number | undefined;
  private readonly sendTimeout: number | undefined;

  constructor(path: Path, endpoint: Endpoint<Request<State, PathParams<Path>>>, options: RouteOptions<State> = {}) {
    if (!path.startsWith('/')) throw new Error(`Routed paths must start with '/': ${JSON.stringify(path)}`);
    this.path = path;
    // Requests are untyped at run time: the parameter types are what the template promises.
    this.endpoint = endpoint as Endpoint;
    this.name = options.name ?? (endpoint.name || undefined);
    const methods = new Set((options.methods ?? ['GET']).map((m) => m.toUpperCase()));
    if (methods.has('GET')) methods.add('HEAD');
    this.methods = methods;
    this.compiled = compilePath(path);
    this.middleware = [...(options.middleware ?? [])];
    this.statusCode = options.statusCode;
    this.tags = [...(options.tags ?? [])];
    this.app = wrap(new EndpointApp(this.endpoint, options.statusCode), this.middleware);
    this.maxBodySize = options.maxBodySize;
    this.sendTimeout = options.sendTimeout;
  }

  /** The path when it has no parameters. */
  get staticPath(): string | undefined {
    return this.compiled.isStatic ? this.path : undefined;
  }

  matches(routePath: string, method: string, params: Record<string, unknown>): Match {
    return this.matchPath(routePath, method, params, DEFAULT_MAX_PARAM_LENGTH);
  }

  /** @internal */
  matchPath(routePath: string, method: string, params: Record<string, unknown>, maxParamLength: number): Match {
    if (!this.compiled.match(routePath, params, maxParamLength)) return Match.None;
    return this.methods.has(method) ? Match.Full : Match.Partial;
  }

  /** Runs the route's middleware and endpoint, with the route's `maxBodySize` and `sendTimeout` (if any) set on the request. */
  handle(request: Request): Promise<Response> {
    return settled(this.handleDirect(request));
  }

  /** @internal {@link Route.handle}, with a response that is ready returned as it is. */
  handleDirect(request: Request): Response | Promise<Response> {
    if (this.maxBodySize !== undefined) request.maxBodySize = this.maxBodySize;
    if (this.sendTimeout !== undefined) request.sendTimeout = this.sendTimeout;
    return callDirect(this.app, request);
  }
}
