import type { Request } from '../requests';
import { Response } from '../responses';
import type { HTTPApp } from './base';

/**
 * @internal A layer that hands back a response it has at once as it is, without a promise: the
 * built-in middleware, the exception layers, routing and the endpoints. A request that meets none
 * but them (a synchronous endpoint behind the built-in middleware) is then answered without a
 * single promise, where each would also run the async hooks on Node 20 once an
 * `AsyncLocalStorage` is in use. `handle` stays the protocol; this is its shortcut.
 */
export interface DirectApp extends HTTPApp {
  /** As `handle`, but a response that is ready is returned as it is. A synchronous throw is an error as a rejection is. */
  handleDirect(request: Request): Response | Promise<Response>;
}

/** @internal `app.handleDirect(request)` where the app has it, else `app.handle(request)`; a synchronous throw becomes a rejection. */
export function callDirect(app: HTTPApp, request: Request): Response | Promise<Response> {
  try {
    return typeof (app as Partial<DirectApp>).handleDirect === 'function' ? (app as DirectApp).handleDirect(request) : app.handle(request);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** @internal A response or the promise of one, as a promise. */
export function settled(result: Response | Promise<Response>): Promise<Response> {
  return result instanceof Response ? Promise.resolve(result) : result;
}
