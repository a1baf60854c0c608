import { createServer, type Server } from 'node:http';
import { redactSecrets } from './redact';
import { createFetchHandler, type FetchHandler } from './adapters/fetch';
import { createRequestListener, type RequestListener } from './adapters/node';
import { createUpgradeListener, type UpgradeListener } from './adapters/node-upgrade';
import { checkWebSocketLimits, type WebSocketLimits } from './websockets/connection';
import { WebSocketRoute, type WebSocketHandler, type WebSocketRouteOptions } from './websockets/route';
import type { WebSocket } from './websockets/websocket';
import {
  FunctionMiddleware,
  Middleware,
  type DispatchFunction,
  type HTTPApp,
  type MiddlewareClass,
  type MiddlewareSpec,
} from './middleware/base';
import { ServerErrorMiddleware, type ErrorLogger } from './middleware/errors';
import {
  ExceptionHandlers,
  ExceptionMiddleware,
  type ErrorClass,
  type ExceptionHandler,
  type ExceptionHandlerKey,
} from './middleware/exceptions';
import { LifespanRunner, type Lifespan } from './lifespan';
import type { Request } from './requests';
import type { StateChecked } from './state';
import type { Response } from './responses';
import { callDirect, settled } from './middleware/direct';
import { APIRouter, Mount, Route, Router, type BaseRoute, type IncludeOptions, type Endpoint, type MountOptions, type PathParams, type RouteOptions } from './routing';
import type { HTTPException } from './exceptions';
import { InFlight, makeGraceful } from './server';
import { checkPoisoningAction, type PoisoningAction } from './poisoning';
import { applyRootPath, normalizeRootPath } from './root-path';

/** Options of {@link Application}. */
export interface ApplicationOptions {
  /** Show stack traces in 500 responses. Never in production. */
  debug?: boolean;
  /** Middleware, outermost first. */
  middleware?: Iterable<MiddlewareSpec<never>>;
  /** Exception handlers by status code or Error class. */
  exceptionHandlers?: Map<ExceptionHandlerKey, ExceptionHandler>;
  /** Routes and mounts, in matching order. */
  routes?: Iterable<BaseRoute>;
  /** The largest request body read, in bytes (1 MiB by default); a larger one is a 413. */
  maxBodySize?: number;
  /**
   * Seconds a response may wait for the client to take a byte (60 by default, nginx's `send_timeout`;
   * 0 for none): past it the response is aborted, its body stopped and the connection closed. A
   * route's `sendTimeout` overrides it. Node adapter only.
   */
  sendTimeout?: number;
  /**
   * Seconds the rest of an upload is read and discarded after an answer sent before it arrived, so
   * the client receives the answer (5 by default); then the connection is closed. Node adapter only.
   */
  lingeringTimeout?: number;
  /** Bytes of that rest read and discarded before the connection is closed (16 MiB by default). Node adapter only. */
  lingeringMaxBytes?: number;
  /**
   * A JSON body with a `__proto__` key, or a form field named `__proto__`: `'error'` answers 400
   * (the default), `'remove'` drops the key, `'ignore'` keeps it. Fastify's option of the same name.
   */
  onProtoPoisoning?: PoisoningAction;
  /** A JSON body with a `constructor` key holding a `prototype` key: as {@link ApplicationOptions.onProtoPoisoning}. */
  onConstructorPoisoning?: PoisoningAction;
  /**
   * The longest value a path parameter takes (Fastify's `maxParamLength`, default 100); a longer
   * one does not match the route, so the request is a 404 unless another route matches. `path`
   * parameters have no limit.
   */
  maxParamLength?: number;
  /**
   * The path prefix a proxy in front strips before forwarding (uvicorn's `--root-path`, FastAPI's
   * `root_path`): it is put back in front of `request.path`, `request.url`, redirects and
   * `request.urlFor`, and routing matches the path below it. `stackware serve --root-path` sets it.
   */
  rootPath?: string;
  /** Where errors are reported; `console` by default. */
  logger?: ErrorLogger;
  /** Startup and shutdown code: an async generator function, as Starlette's lifespan. */
  lifespan?: Lifespan<Application<object>>;
  /**
   * Seconds a closing server waits for requests in flight and their background tasks before it
   * closes the remaining connections by force (open websockets with 1001). Default 30.
   */
  shutdownTimeout?: number;
  /** Limits of websocket connections (a route's own options override them); see {@link WebSocketLimits}. */
  websocket?: WebSocketLimits;
}

/** Options of {@link Application.listen}, overriding the application's. */
export interface ListenOptions {
  /** See {@link ApplicationOptions.shutdownTimeout}. */
  shutdownTimeout?: number;
  /** See {@link ApplicationOptions.sendTimeout}; a route's own still wins (`stackware serve --timeout-send`). */
  sendTimeout?: number;
}

function checkSeconds(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new TypeError(`${name} must be a number >= 0, got ${String(value)}`);
  return value;
}

/** `app.get(path, endpoint, options)` and its siblings: a route for one method. */
export type MethodRoute<State extends object = Record<string, unknown>, MountParams extends object = object> = <Path extends string>(
  path: Path,
  endpoint: Endpoint<Request<State, RouteParams<Path, MountParams>>>,
  options?: Omit<RouteOptions<State>, 'methods'>,
) => Route<Path, State>;

/** The `request.pathParams` of a route: its template's parameters, and those of the mount in front (see {@link Application}). */
export type RouteParams<Path extends string, MountParams extends object = object> = object extends MountParams
  ? PathParams<Path>
  : PathParams<Path> & MountParams;

/** One layer of the stack, as {@link Application.middlewareStack} lists it. */
export interface MiddlewareLayer {
  /** The layer's class name. */
  readonly name: string;
  /** The options it was built with (`undefined` when none were given). */
  readonly options: unknown;
}

/**
 * The application container: routes, exception handlers and the middleware stack.
 *
 * The stack, built once on the first request, is, outermost first: the server-error layer, the
 * user middleware (the last added is the outermost), the exception layer, and the router.
 *
 * @typeParam State - the type of `request.state` in its endpoints and middleware, for example
 * `Application<{ user?: User }>`; a middleware declaring another state is a compile error.
 * @typeParam MountParams - for an application mounted under a prefix with parameters
 * (`app.mount('/t/{tenant}', sub)`), the parameters that prefix gives its routes:
 * `new Application<State, { tenant: string }>()`.
 */
export class Application<State extends object = Record<string, unknown>, MountParams extends object = object> implements HTTPApp {
  /** The router holding the application's routes and mounts, in matching order. */
  readonly router: Router;
  /** The registered exception handlers (the `exceptionHandlers` option, then {@link Application.exceptionHandler}). */
  readonly exceptionHandlers: ExceptionHandlers;
  /** Whether 500 responses show the stack trace; false by default. */
  readonly debug: boolean;
  /** The largest request body read, in bytes (1 MiB by default); a route's `maxBodySize` overrides it. */
  readonly maxBodySize: number;
  /** Where errors are reported; `console` by default. */
  readonly logger: ErrorLogger;
  /** See {@link ApplicationOptions.sendTimeout}; undefined: the default, 60 s. */
  readonly sendTimeout: number | undefined;
  /** See {@link ApplicationOptions.lingeringTimeout}; undefined: the default, 5 s. */
  readonly lingeringTimeout: number | undefined;
  /** See {@link ApplicationOptions.lingeringMaxBytes}; undefined: the default, 16 MiB. */
  readonly lingeringMaxBytes: number | undefined;
  /** See {@link ApplicationOptions.onProtoPoisoning}; undefined: the default, `'error'`. */
  readonly onProtoPoisoning: PoisoningAction | undefined;
  /** See {@link ApplicationOptions.onConstructorPoisoning}; undefined: the default, `'error'`. */
  readonly onConstructorPoisoning: PoisoningAction | undefined;
  /** See {@link ApplicationOptions.websocket}. */
  readonly websocketLimits: WebSocketLimits;
  /** User middleware, outermost first. */
  private readonly userMiddleware: MiddlewareSpec<never>[];
  private stack: HTTPApp | undefined;
  private readonly lifespan: LifespanRunner<Application<object>>;
  private readonly shutdownTimeout: number;
  /** See {@link ApplicationOptions.rootPath}; normalised (`'/api'`, or `''` for none). */
  readonly rootPath: string;
  /** What the lifespan's startup yielded; copied into each request's `state`. */
  lifespanState: Record<string, unknown> | undefined;
  private fetchHandler: FetchHandler | undefined;

  constructor(options: ApplicationOptions = {}) {
    this.debug = options.debug ?? false;
    this.maxBodySize = options.maxBodySize ?? 1024 * 1024;
    this.logger = options.logger ?? console;
    this.sendTimeout = checkSeconds('sendTimeout', options.sendTimeout);
    this.lingeringTimeout = checkSeconds('lingeringTimeout', options.lingeringTimeout);
    this.lingeringMaxBytes = checkSeconds('lingeringMaxBytes', options.lingeringMaxBytes);
    this.onProtoPoisoning = checkPoisoningAction('onProtoPoisoning', options.onProtoPoisoning);
    this.onConstructorPoisoning = checkPoisoningAction('onConstructorPoisoning', options.onConstructorPoisoning);
    this.websocketLimits = checkWebSocketLimits(options.websocket);
    this.router = new Router(options.routes, { maxParamLength: options.maxParamLength });
    this.exceptionHandlers = new ExceptionHandlers(options.exceptionHandlers);
    this.userMiddleware = [...(options.middleware ?? [])];
    this.lifespan = new LifespanRunner<Application<object>>(options.lifespan, this as unknown as Application<object>);
    this.shutdownTimeout = options.shutdownTimeout ?? 30;
    this.rootPath = normalizeRootPath(options.rootPath);
  }

  /** True once the stack has been built; middleware can no longer be added. */
  get started(): boolean {
    return this.stack !== undefined;
  }

  /**
   * Registers a middleware class; it is constructed as `new cls(nextApp, ...args)` when the stack
   * is built. The last one added is the outermost. Options that do not fit the constructor, and a
   * class declaring a request state (`BaseHTTPMiddleware<Options, State>`) that this application's
   * `State` does not provide, are compile errors.
   */
  addMiddleware<Args extends unknown[], Cls extends MiddlewareClass<Args>>(
    cls: Cls & MiddlewareClass<Args> & StateChecked<Cls, State>,
    ...args: NoInfer<Args>
  ): void {
    this.register(new Middleware<Args>(cls, ...args));
  }

  /**
   * FastAPI's `@app.middleware("http")` as a function call: `app.middleware('http')(fn)` registers
   * `fn(request, callNext)` as a middleware, exactly like a `BaseHTTPMiddleware`, and returns `fn`.
   */
  middleware(type: 'http'): <F extends DispatchFunction<State>>(dispatch: F) => F {
    if (type !== 'http') throw new Error(`Unsupported middleware type ${JSON.stringify(type)}: only 'http'`);
    return (dispatch) => {
      this.register(new Middleware(FunctionMiddleware, dispatch as DispatchFunction<State> as DispatchFunction));
      return dispatch;
    };
  }

  /** Registers a handler for a status code (it receives the `HTTPException`) or an Error class. */
  exceptionHandler(status: number, handler: ExceptionHandler<HTTPException, State>): void;
  exceptionHandler<E extends Error>(errorClass: ErrorClass<E>, handler: ExceptionHandler<E, State>): void;
  exceptionHandler(key: ExceptionHandlerKey, handler: ExceptionHandler<never, State>): void {
    this.exceptionHandlers.set(key, handler as ExceptionHandler);
  }

  /** Adds a route for `path` answering `options.methods` (GET by default). */
  route<Path extends string>(path: Path, endpoint: Endpoint<Request<State, RouteParams<Path, MountParams>>>, options?: RouteOptions<State>): Route<Path, State> {
    // The mount's parameters are there at run time; the route's own template cannot say so.
    const route = new Route<Path, State>(path, endpoint as Endpoint<Request<State, PathParams<Path>>>, options);
    this.router.add(route);
    return route;
  }

  /**
   * Adds the routes of an {@link APIRouter} (FastAPI's `include_router`), `options.prefix` in
   * front of the router's own. They become routes of this application: its exception handlers,
   * logger, `maxBodySize`, lifespan state and `State` apply; the router's middleware wraps only
   * its routes. The routes are copied now: include a router after declaring its routes.
   */
  includeRouter(router: APIRouter<State, string>, options?: IncludeOptions<State>): void {
    for (const route of router.buildRoutes(options)) this.router.add(route);
  }

  /**
   * The path of the route named `name`, its parameters written in by their convertors (Starlette's
   * `url_path_for`); `mount:route` for a route inside a named mount. Throws a `NoMatchFound`
   * naming the route, or the missing or unexpected parameter.
   */
  urlPathFor(name: string, params: Readonly<Record<string, unknown>> = {}): string {
    return this.router.urlPathFor(name, params);
  }

  /** The route template routing will give `request`, found before it runs (see {@link Router.templateFor}). */
  routeTemplateFor(request: Request): string | undefined {
    return this.router.templateFor(request);
  }

  /**
   * Adds a websocket route (Starlette's `WebSocketRoute`): `handler(websocket)` runs for each
   * handshake at `path` once it went through the middleware, accepts it and talks until one side
   * closes. An HTTP route may share the path: each answers its own kind of request.
   */
  websocket<Path extends string>(
    path: Path,
    handler: WebSocketHandler<WebSocket<State, RouteParams<Path, MountParams>>>,
    options?: WebSocketRouteOptions<State>,
  ): WebSocketRoute<Path, State> {
    const route = new WebSocketRoute<Path, State>(path, handler as WebSocketHandler<WebSocket<State, PathParams<Path>>>, options);
    this.router.add(route);
    return route;
  }

  /** Serves everything under `path` with another app (an `Application`, a `Router`, any `HTTPApp`). */
  mount(path: string, app: HTTPApp, options?: MountOptions<State>): Mount {
    const mount = new Mount(path, app, options);
    this.router.add(mount);
    return mount;
  }

  /** Adds a GET (and HEAD) route. */
  readonly get: MethodRoute<State, MountParams> = (path, endpoint, options) => this.route(path, endpoint, { ...options, methods: ['GET'] });
  /** Adds a POST route. */
  readonly post: MethodRoute<State, MountParams> = (path, endpoint, options) => this.route(path, endpoint, { ...options, methods: ['POST'] });
  /** Adds a PUT route. */
  readonly put: MethodRoute<State, MountParams> = (path, endpoint, options) => this.route(path, endpoint, { ...options, methods: ['PUT'] });
  /** Adds a PATCH route. */
  readonly patch: MethodRoute<State, MountParams> = (path, endpoint, options) => this.route(path, endpoint, { ...options, methods: ['PATCH'] });
  /** Adds a DELETE route. */
  readonly delete: MethodRoute<State, MountParams> = (path, endpoint, options) => this.route(path, endpoint, { ...options, methods: ['DELETE'] });
  /** Adds an OPTIONS route. */
  readonly options: MethodRoute<State, MountParams> = (path, endpoint, options) =>
    this.route(path, endpoint, { ...options, methods: ['OPTIONS'] });

  /**
   * The layers of the stack, outermost first: the server-error layer, the user middleware (the
   * last added first) and the exception layer, each with its class name and options (secret-looking
   * values such as `secretKey` shown as `'[redacted]'`). Final once
   * the application has started; before that it shows the stack the registrations so far would build.
   */
  get middlewareStack(): readonly MiddlewareLayer[] {
    return Object.freeze([
      { name: ServerErrorMiddleware.name, options: { debug: this.debug } },
      ...this.userMiddleware.map((spec) => ({ name: spec.cls.name, options: redactSecrets(spec.options) })),
      { name: ExceptionMiddleware.name, options: { handlers: this.exceptionHandlers.keys() } },
    ]);
  }

  /** Runs a request through the whole stack. */
  handle(request: Request): Promise<Response> {
    return settled(this.handleDirect(request));
  }

  /** @internal {@link Application.handle}, with a response that is ready returned as it is (for the adapters). */
  handleDirect(request: Request): Response | Promise<Response> {
    if (this.rootPath !== '') applyRootPath(request, this.rootPath);
    request.app = this;
    return callDirect((this.stack ??= this.buildStack()), request);
  }

  /** A Node request listener: `http.createServer(app.callback())`, `supertest(app.callback())`. */
  callback(): RequestListener {
    this.stack ??= this.buildStack();
    return createRequestListener(this, this.logger);
  }

  /**
   * A Node `'upgrade'` listener serving this application's websocket routes:
   * `server.on('upgrade', app.upgradeCallback())` next to `http.createServer(app.callback())`
   * (`listen()` does both).
   */
  upgradeCallback(): UpgradeListener {
    this.stack ??= this.buildStack();
    return createUpgradeListener(this, this.logger);
  }

  /**
   * The web-standard handler, `(request: globalThis.Request) => Promise<globalThis.Response>`, for
   * Deno, Bun, Cloudflare Workers or any code holding Fetch API objects: the same stack as
   * {@link Application.callback}. It is bound, so `Deno.serve(app.fetch)` and `{ fetch: app.fetch }` work.
   */
  readonly fetch: FetchHandler = (request) => (this.fetchHandler ??= createFetchHandler(this, this.logger))(request);

  /** Runs the lifespan's startup code (once); `listen()` calls it. Rejects with the startup error. */
  async startup(): Promise<void> {
    this.lifespanState = await this.lifespan.start();
  }

  /** Runs the lifespan's shutdown code; a server from `listen()` calls it once it has closed. */
  async shutdown(): Promise<void> {
    await this.lifespan.stop();
  }

  /**
   * Runs the lifespan's startup, then starts an HTTP server on `host:port` (127.0.0.1:8000 by
   * default) and resolves once it listens; rejects with the startup error, if any. The server's
   * `close()` is graceful: see {@link ApplicationOptions.shutdownTimeout}, which `options` may override.
   */
  async listen(port = 8000, host = '127.0.0.1', options: ListenOptions = {}): Promise<Server> {
    await this.startup();
    this.stack ??= this.buildStack();
    const inFlight = new InFlight();
    const timeout = options.shutdownTimeout ?? this.shutdownTimeout;
    const limits = { sendTimeout: checkSeconds('sendTimeout', options.sendTimeout) };
    const server = makeGraceful(createServer(createRequestListener(this, this.logger, inFlight, limits)), inFlight, timeout, () =>
      this.shutdown(),
    );
    server.on('upgrade', createUpgradeListener(this, this.logger, inFlight, limits));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await this.shutdown();
      throw error;
    }
    return server;
  }

  private register(spec: MiddlewareSpec<never>): void {
    if (this.started) throw new Error('Cannot add middleware after an application has started');
    this.userMiddleware.unshift(spec);
  }

  private buildStack(): HTTPApp {
    let app: HTTPApp = new ExceptionMiddleware(this.router, this.exceptionHandlers);
    app = this.userMiddleware.reduceRight((inner, spec) => spec.build(inner), app);
    return new ServerErrorMiddleware(app, { debug: this.debug, handlers: this.exceptionHandlers, logger: this.logger });
  }
}
