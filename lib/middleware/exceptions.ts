import { HTTPException } from '../exceptions';
import type { Request } from '../requests';
import { JSONResponse, Response } from '../responses';
import type { HTTPApp } from './base';
import { callDirect, settled } from './direct';

/**
 * Turns an error into a response. Registered for a status code it receives the `HTTPException`
 * (for 500, whatever error escaped); registered for an Error class it receives an instance of it.
 * `State` is the application's `request.state` type.
 */
export type ExceptionHandler<E = Error, State extends object = Record<string, unknown>> = {
  // Method syntax keeps parameters bivariant, so a handler for a subclass fits in a Map of handlers.
  /** Answers `request` for `error`, raised while handling it. */
  handler(request: Request<State>, error: E): Response | Promise<Response>;
}['handler'];

/** An Error class, as a key for an exception handler. */
export type ErrorClass<E extends Error = Error> = abstract new (...args: never[]) => E;

/** What exception handlers are registered under: a status code or an Error class. */
export type ExceptionHandlerKey = number | ErrorClass;

/** FastAPI's default: `{"detail": ...}` with the exception's status and headers. */
export function defaultHTTPExceptionHandler(_request: Request, error: HTTPException): Response {
  const init = { statusCode: error.statusCode, headers: error.headers };
  if (error.statusCode === 204 || error.statusCode === 304) return new Response(null, init);
  return new JSONResponse({ detail: error.detail }, init);
}

/**
 * The registered exception handlers and the lookup Starlette does: by status code for an
 * `HTTPException`, then by class along the error's prototype chain. Handlers for 500 and `Error`
 * belong to the server-error layer and are not used here.
 */
export class ExceptionHandlers {
  private readonly byStatus = new Map<number, ExceptionHandler>();
  private readonly byClass = new Map<ErrorClass, ExceptionHandler>();

  constructor(entries?: Iterable<readonly [ExceptionHandlerKey, ExceptionHandler]>) {
    if (entries) for (const [key, handler] of entries) this.set(key, handler);
  }

  /** Registers `handler` for a status code or an Error class, replacing the previous one; any other key is a `TypeError`. */
  set(key: ExceptionHandlerKey, handler: ExceptionHandler): void {
    if (typeof key === 'number') this.byStatus.set(key, handler);
    else if (typeof key === 'function') this.byClass.set(key, handler);
    else throw new TypeError('An exception handler is registered for a status code or an Error class');
  }

  /** What handlers are registered for: status codes, then Error classes, each in registration order. */
  keys(): ExceptionHandlerKey[] {
    return [...this.byStatus.keys(), ...this.byClass.keys()];
  }

  /** The handler of the server-error layer: the one for 500, else the one for `Error`. */
  get serverError(): ExceptionHandler | undefined {
    return this.byStatus.get(500) ?? this.byClass.get(Error);
  }

  /** The handler for `error`, or undefined when it is not handled below the server-error layer. */
  lookup(error: unknown): ExceptionHandler | undefined {
    if (!(error instanceof Error)) return undefined;
    if (error instanceof HTTPException && error.statusCode !== 500) {
      const handler = this.byStatus.get(error.statusCode);
      if (handler) return handler;
    }
    for (let cls = error.constructor; cls !== Error && typeof cls === 'function'; cls = Object.getPrototypeOf(cls)) {
      const handler = this.byClass.get(cls as ErrorClass);
      if (handler) return handler;
    }
    return error instanceof HTTPException ? (defaultHTTPExceptionHandler as ExceptionHandler) : undefined;
  }
}

const NO_HANDLERS = new ExceptionHandlers();

/** The response for an `HTTPException`, by the handlers of the request's application. */
export function httpExceptionResponse(request: Request, error: HTTPException): Response | Promise<Response> {
  const handlers = request.app?.exceptionHandlers ?? NO_HANDLERS;
  const handler = handlers.lookup(error) ?? (defaultHTTPExceptionHandler as ExceptionHandler);
  return handler(request, error);
}

/**
 * The layer just outside the router: `HTTPException`s and errors with a registered handler become
 * responses here, before any user middleware sees them. Other errors pass on outwards.
 */
export class ExceptionMiddleware implements HTTPApp {
  /** The inner app's `handleOrError` (a Router's), which returns its 404/405 instead of rejecting. */
  private readonly direct: ((request: Request) => Response | Promise<Response> | HTTPException) | undefined;

  constructor(
    private readonly app: HTTPApp,
    private readonly handlers: ExceptionHandlers,
  ) {
    const inner = app as HTTPApp & { handleOrError?: (request: Request) => Response | Promise<Response> | HTTPException };
    this.direct = typeof inner.handleOrError === 'function' ? inner.handleOrError.bind(inner) : undefined;
  }

  handle(request: Request): Promise<Response> {
    return settled(this.handleDirect(request));
  }

  /** @internal {@link ExceptionMiddleware.handle}, with a response that is ready returned as it is. */
  handleDirect(request: Request): Response | Promise<Response> {
    let result: Response | Promise<Response> | HTTPException;
    try {
      result = this.direct === undefined ? callDirect(this.app, request) : this.direct(request);
    } catch (error) {
      return this.answer(request, error);
    }
    if (result instanceof HTTPException) return this.answer(request, result);
    if (result instanceof Response) return result;
    return result.catch((error: unknown) => {
      const handler = this.handlers.lookup(error);
      if (handler === undefined) throw error;
      return handler(request, error as Error);
    });
  }

  /** The registered handler's answer to `error`, as a promise (rejected when no handler takes it). */
  private answer(request: Request, error: unknown): Promise<Response> {
    try {
      const handler = this.handlers.lookup(error);
      return handler === undefined ? Promise.reject(error) : Promise.resolve(handler(request, error as Error));
    } catch (handlerError) {
      return Promise.reject(handlerError);
    }
  }
}
