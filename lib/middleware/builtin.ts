import { HTTPException } from '../exceptions';
import type { Request } from '../requests';
import { Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';
import { callDirect, settled, type DirectApp } from './direct';
import { httpExceptionResponse } from './exceptions';

/** What a built-in middleware does to the inner layers' response on its way out. */
export type Exit = (response: Response) => Response | Promise<Response>;

/**
 * The base of the built-in middleware. Each is written as two halves instead of an async
 * `dispatch`: {@link BuiltinMiddleware.enter} on the way in, which may answer at once, and the
 * {@link Exit} it returns for the way out. A run of such layers in a stack (CORS around RequestId
 * around Session around GZip, say) then answers with one promise reaction for the whole run: the
 * outermost enters each in turn, calls the first other layer once, and applies the exits innermost
 * first. The order of effects is the nested layers' own, down to an exit that returns a promise
 * (the exits outside it wait for it), an early answer (the exits outside it apply) and a failure
 * (an `HTTPException` becomes the response of the layer it surfaces in, as `BaseHTTPMiddleware`
 * makes it, and the exits outside that layer apply; any other error passes through untouched).
 *
 * Why: an async `dispatch` costs three promises and two turns of the microtask queue per layer,
 * and on Node 20 every promise also runs the async hooks once an `AsyncLocalStorage` is in use
 * (`RequestIdMiddleware` opens one), where Fastify's hooks are plain callbacks.
 *
 * `dispatch` still works, built from the same halves; a subclass that overrides `dispatch` or
 * `handle` is called as any `BaseHTTPMiddleware` is, and is never fused with its neighbours.
 */
export abstract class BuiltinMiddleware<Options = undefined> extends BaseHTTPMiddleware<Options> implements DirectApp {
  /**
   * The layers this one's `handle` answers for, this one first; found on the first request. Null
   * when a subclass overrides `dispatch`: then `handle` is `BaseHTTPMiddleware`'s.
   */
  #run: BuiltinMiddleware<unknown>[] | null | undefined;
  /** The first layer inwards that is not part of the run. */
  #inner: HTTPApp | undefined;

  /**
   * On the way in: a `Response` answers the request without the inner layers (the exits of the
   * layers outside still apply to it); an exit function is applied to the inner layers' response;
   * `undefined` leaves both alone.
   */
  protected abstract enter(request: Request): Response | Exit | undefined;

  /**
   * Calls `proceed`, which runs the inner layers and the exits, inside a context of this
   * middleware's (`RequestIdMiddleware`'s async context) and returns what it returns. The default
   * just calls it.
   */
  protected inContext<T>(_request: Request, proceed: () => T): T {
    return proceed();
  }

  /**
   * Runs the inner layers, `proceed(request)`, for a middleware with work of its own around them
   * that the two halves cannot express (a session loaded from and saved to a store). The exits of
   * the layers outside wait for the promise it returns. The default just calls `proceed`.
   */
  protected around(request: Request, proceed: CallNext): Promise<Response> {
    return proceed(request);
  }

  override dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const step = this.enter(request);
    if (step instanceof Response) return Promise.resolve(step);
    const inner = this.inContext(request, () => this.around(request, callNext));
    return step === undefined ? inner : inner.then(step);
  }

  override handle(request: Request): Promise<Response> {
    return settled(this.handleDirect(request));
  }

  /** @internal {@link BuiltinMiddleware.handle}, with a response that is ready returned as it is. */
  handleDirect(request: Request): Response | Promise<Response> {
    const run = this.#run === undefined ? this.#fuse() : this.#run;
    if (run === null) return super.handle(request);
    try {
      return BuiltinMiddleware.runFrom(run, 0, this.#inner as HTTPApp, request, []);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Finds the run of layers this one answers for: itself and the unmodified built-ins right inside it. */
  #fuse(): BuiltinMiddleware<unknown>[] | null {
    if (this.dispatch !== BuiltinMiddleware.prototype.dispatch) {
      this.#run = null;
      return null;
    }
    const run: BuiltinMiddleware<unknown>[] = [this as BuiltinMiddleware<unknown>];
    let layer: HTTPApp = this.app;
    while (layer instanceof BuiltinMiddleware && isFusable(layer)) {
      run.push(layer as BuiltinMiddleware<unknown>);
      layer = (layer as BuiltinMiddleware<unknown>).app;
    }
    this.#run = run;
    this.#inner = layer;
    return run;
  }

  /**
   * Enters `run[index]` and the layers after it, calls `inner`, and applies `exits` and theirs on
   * the way out; a response that is ready is returned as it is. Where an `HTTPException` surfaces
   * (thrown by an `enter` or an exit, or the rejection of the inner layers or of an `around`), the
   * layer it surfaces in makes it its response and the exits outside that layer apply to it, as
   * `BaseHTTPMiddleware.handle` does in nested layers. Other errors pass through untouched.
   */
  private static runFrom(
    run: BuiltinMiddleware<unknown>[],
    index: number,
    inner: HTTPApp,
    request: Request,
    exits: Exit[],
    exitBefore = false,
  ): Response | Promise<Response> {
    // Whether the layer entered last (the innermost so far) left an exit.
    let innermostExit = exitBefore;
    for (let i = index; i < run.length; i++) {
      const layer = run[i];
      let step: Response | Exit | undefined;
      try {
        step = layer.enter(request);
      } catch (error) {
        return recover(request, error, exits, exits.length);
      }
      if (step instanceof Response) return applyExits(request, step, exits, exits.length);
      innermostExit = step !== undefined;
      if (innermostExit) exits.push(step as Exit);
      if (layer.around !== BuiltinMiddleware.prototype.around) {
        // The exits outside wait for `around` as a whole; the ones inside run within it.
        const outside = exits.splice(0);
        const ownExit = innermostExit ? outside.length - 1 : outside.length;
        const next = (proceedWith: Request): Promise<Response> => settled(BuiltinMiddleware.runFrom(run, i + 1, inner, proceedWith, []));
        return layer
          .inContext(request, () => layer.around(request, next))
          .then(
            (response) => applyExits(request, response, outside, outside.length),
            (error: unknown) => recover(request, error, outside, ownExit),
          );
      }
      if (layer.inContext !== BuiltinMiddleware.prototype.inContext) {
        return layer.inContext(request, () => BuiltinMiddleware.runFrom(run, i + 1, inner, request, exits, innermostExit));
      }
    }
    const result = callDirect(inner, request);
    if (result instanceof Response) return applyExits(request, result, exits, exits.length);
    // A rejection surfaces in the innermost layer of the run: its own exit is skipped.
    const outside = innermostExit ? exits.length - 1 : exits.length;
    return result.then(
      (response) => applyExits(request, response, exits, exits.length),
      (error: unknown) => recover(request, error, exits, outside),
    );
  }
}

/** A layer whose class overrides neither `dispatch` nor `handle`: its halves say all it does. */
function isFusable(layer: BuiltinMiddleware<unknown>): boolean {
  return layer.dispatch === BuiltinMiddleware.prototype.dispatch && layer.handle === BuiltinMiddleware.prototype.handle;
}

/**
 * Applies `exits[count - 1]` down to `exits[0]` (innermost first), waiting where one returns a
 * promise. An `HTTPException` an exit throws becomes the response the exits outside it apply to.
 */
function applyExits(request: Request, response: Response, exits: Exit[], count: number): Response | Promise<Response> {
  let current = response;
  for (let i = count - 1; i >= 0; i--) {
    let result: Response | Promise<Response>;
    try {
      result = exits[i](current);
    } catch (error) {
      return recover(request, error, exits, i);
    }
    if (!(result instanceof Response)) {
      return result.then(
        (next) => applyExits(request, next, exits, i),
        (error: unknown) => recover(request, error, exits, i),
      );
    }
    current = result;
  }
  return current;
}

/** An `HTTPException` as its response, with `exits[count - 1]` down to `exits[0]` applied; any other error thrown on. */
function recover(request: Request, error: unknown, exits: Exit[], count: number): Promise<Response> {
  if (!(error instanceof HTTPException)) return Promise.reject(error);
  try {
    return settled(httpExceptionResponse(request, error)).then((response) => applyExits(request, response, exits, count));
  } catch (handlerError) {
    return Promise.reject(handlerError);
  }
}
