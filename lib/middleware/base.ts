import { HTTPException } from '../exceptions';
import type { Request } from '../requests';
import type { MiddlewareState } from '../state';
import { Response } from '../responses';
import { httpExceptionResponse } from './exceptions';

/**
 * The one protocol every layer speaks: middleware, router, routes, mounts, the exception layers
 * and `Application` itself. Starlette's "everything is an ASGI app", with `handle(request)`.
 */
export interface HTTPApp {
  /** Answers `request`, or rejects (an `HTTPException` for an HTTP error response). */
  handle(request: Request): Promise<Response>;
}

/**
 * Calls `app.handle(request)`, turning a synchronous throw into a rejection, so that every layer
 * can rely on one error channel whatever the inner layer does.
 */
export function callApp(app: HTTPApp, request: Request): Promise<Response> {
  try {
    return app.handle(request);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Passes the request to the rest of the stack and resolves to the response it produced.
 *
 * @typeParam State - the type of `request.state` (see {@link Request}).
 */
export type CallNext<State extends object = Record<string, unknown>> = (request: Request<State>) => Promise<Response>;

/**
 * The function form of a middleware, as registered with `app.middleware('http')`.
 *
 * @typeParam State - the type of `request.state` (see {@link Request}).
 */
export type DispatchFunction<State extends object = Record<string, unknown>> = (
  request: Request<State>,
  callNext: CallNext<State>,
) => Promise<Response>;

/**
 * A middleware class: constructed once, with the next layer and its options, when the stack is
 * built. `Args` is what follows `app` in its constructor, so options are type-checked.
 */
export type MiddlewareClass<Args extends unknown[] = never[]> = new (app: HTTPApp, ...args: Args) => HTTPApp;

/**
 * What a middleware registration offers the stack builder; {@link Middleware} implements it.
 *
 * @typeParam Requires - the `request.state` the middleware declares. Where a spec is registered
 * for an application (`RouteOptions<State>`, a mount's, a router's), a spec requiring more than
 * the application's `State` is a compile error. The default, `object`, requires nothing;
 * `MiddlewareSpec<never>` stands for any spec, checked or not.
 */
export interface MiddlewareSpec<Requires extends object = object> {
  /**
   * Compile-time marker, never present at run time: the state the middleware declares, as a
   * parameter, so that a spec fits only where the state provides it.
   */
  readonly requiresState?: (state: Requires) => void;
  /** The middleware class. */
  readonly cls: {
    /** The class name, as {@link Application.middlewareStack} lists it. */
    readonly name: string;
  };
  /** The options given at registration, if any. */
  readonly options: unknown;
  /** Builds this layer in front of `app`. */
  build(app: HTTPApp): HTTPApp;
}

/**
 * A registration: a middleware class and its options, built into the stack later. In the
 * `middleware` option of `Application`, the first in the list is the outermost.
 */
export class Middleware<Args extends unknown[] = unknown[], Cls extends MiddlewareClass<Args> = MiddlewareClass<Args>>
  implements MiddlewareSpec<MiddlewareState<InstanceType<Cls>>>
{
  declare readonly requiresState?: (state: MiddlewareState<InstanceType<Cls>>) => void;
  readonly cls: MiddlewareClass<Args>;
  /** The constructor arguments that follow `app`. */
  readonly args: Args;

  constructor(cls: Cls & MiddlewareClass<Args>, ...args: NoInfer<Args>) {
    this.cls = cls;
    this.args = args;
  }

  /** The options given at registration (the first argument after `app`), if any. */
  get options(): unknown {
    return this.args[0];
  }

  /** Builds this layer in front of `app`. */
  build(app: HTTPApp): HTTPApp {
    return new this.cls(app, ...this.args);
  }
}

/** What an error message calls a value that should have been a Response: `null`, its class name, or its type. */
export function describeValue(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}

function notAResponse(middleware: string, value: unknown): never {
  throw new TypeError(`Middleware ${middleware} must resolve to a Response, but it resolved to ${describeValue(value)}`);
}

/**
 * Subclass it and implement {@link BaseHTTPMiddleware.dispatch} to wrap every request:
 * do work before `await callNext(request)`, change the response after it, or answer without
 * calling it at all.
 *
 * Unlike Starlette's, an `HTTPException` thrown in `dispatch` becomes this middleware's response
 * (the layers outside see an ordinary response), bodies read here stay readable downstream, and
 * streaming responses pass through without being buffered.
 *
 * @typeParam Options - the options object `addMiddleware(Cls, options)` passes to the constructor.
 * @typeParam State - the type of `request.state` this middleware reads and writes; an
 * `Application<State>` accepts it only when its own state has these properties.
 */
export abstract class BaseHTTPMiddleware<Options = undefined, State extends object = Record<string, unknown>> implements HTTPApp {
  /** The next layer inwards. */
  protected readonly app: HTTPApp;
  /** The options given at registration. */
  protected readonly options: Options;
  // Bound once here, not per request. True private fields: a subclass may use these names.
  readonly #next: CallNext<State>;
  readonly #checkResponse: (response: unknown) => Response;

  constructor(app: HTTPApp, ...[options]: undefined extends Options ? [options?: Options] : [options: Options]) {
    this.app = app;
    this.options = options as Options;
    this.#next = (request) => callApp(app, request as Request);
    this.#checkResponse = (response) => (response instanceof Response ? response : notAResponse(this.describe(), response));
  }

  /** Handles one request; override it to wrap the rest of the stack. */
  abstract dispatch(request: Request<State>, callNext: CallNext<State>): Promise<Response>;

  /** How error messages name this middleware. */
  protected describe(): string {
    return this.constructor.name;
  }

  /**
   * Calls {@link BaseHTTPMiddleware.dispatch}. An `HTTPException` it throws becomes this
   * middleware's response; resolving to anything but a {@link Response} is a `TypeError`.
   */
  handle(request: Request): Promise<Response> {
    let result: Promise<Response>;
    try {
      result = this.dispatch(request as Request<State>, this.#next);
    } catch (error) {
      result = Promise.reject(error);
    }
    return result.then(this.#checkResponse, (error: unknown) => {
      if (error instanceof HTTPException) return httpExceptionResponse(request, error);
      throw error;
    });
  }
}

/** Adapts a function registered with `app.middleware('http')` to the class protocol. */
export class FunctionMiddleware extends BaseHTTPMiddleware<DispatchFunction> {
  override dispatch(request: Request, callNext: CallNext): Promise<Response> {
    return this.options(request, callNext);
  }

  protected override describe(): string {
    return `function ${this.options.name || '(anonymous)'}`;
  }
}
