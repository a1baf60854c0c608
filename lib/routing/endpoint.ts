import type { ExitStack } from '../dependencies';
import { unwindFailedEndpoint } from '../lifecycle';
import { settled, type DirectApp } from '../middleware/direct';
import type { Request } from '../requests';
import { JSONResponse, Response } from '../responses';

/**
 * A route handler: a `Response` is sent as it is; any other value is sent as JSON (200, or the
 * route's `statusCode`).
 *
 * @typeParam R - the request type, `Request<State>` in an `Application<State>`.
 */
export type Endpoint<R extends Request<object> = Request> = (request: R) => unknown;

/** Errors raised by function-scoped exit code propagate as the endpoint's; nothing to report apart. */
const ignore = (): void => undefined;

/**
 * Calls an endpoint and turns what it returns into a `Response`. A synchronous endpoint with no
 * function-scoped dependencies is answered without a trip through the microtask queue.
 */
export class EndpointApp implements DirectApp {
  constructor(
    private readonly endpoint: Endpoint,
    private readonly statusCode: number | undefined,
  ) {}

  handle(request: Request): Promise<Response> {
    return settled(this.handleDirect(request));
  }

  /** @internal {@link EndpointApp.handle}, with the response of a synchronous endpoint returned as it is. */
  handleDirect(request: Request): Response | Promise<Response> {
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
    return this.respond(request, value);
  }

  private toResponse(value: unknown): Response {
    if (value instanceof Response) return value;
    return this.statusCode === undefined ? new JSONResponse(value) : new JSONResponse(value, { statusCode: this.statusCode });
  }

  /**
   * The response for the endpoint's value, after the function-scoped exit code if there is any. A
   * plain value, not a promise, when there is none: handed back from a promise reaction, a promise
   * would cost two more turns of the microtask queue.
   */
  private respond(request: Request, value: unknown): Response | Promise<Response> {
    if (request.functionExits !== undefined) return this.unwindThenRespond(request, value);
    try {
      return this.toResponse(value);
    } catch (error) {
      return this.failed(request, error);
    }
  }

  private async unwindThenRespond(request: Request, value: unknown): Promise<Response> {
    const raised = await (request.functionExits as ExitStack).unwind(undefined, ignore);
    if (raised !== undefined) return this.failed(request, raised);
    try {
      return this.toResponse(value);
    } catch (error) {
      return this.failed(request, error);
    }
  }

  private async failed(request: Request, error: unknown): Promise<Response> {
    throw await unwindFailedEndpoint(request, error);
  }

}
