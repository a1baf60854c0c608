import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Request } from '../requests';
import type { HTTPApp } from './base';
import { BuiltinMiddleware, type Exit } from './builtin';

/** Options of {@link RequestIdMiddleware}; every one is optional. */
export interface RequestIdOptions {
  /** The request header the id is read from and the response header it is sent back in. Default `'x-request-id'`. */
  headerName?: string;
  /**
   * Makes an id for a request that came without a usable one. Default `crypto.randomUUID`.
   * What it returns must be a valid header value.
   */
  generator?: () => string;
  /**
   * Whether the request runs in an `AsyncLocalStorage` context holding the id, so that
   * {@link requestId} returns it. Default `true`. With `false`, `requestId()` returns undefined and
   * the id is in `request.state.requestId` and the response header only; the application then
   * does not pay for the context, which Node 20 keeps with async hooks: once any context has been
   * opened, every promise, tick and socket write of every request runs a hook (see bench/RESULTS.md).
   */
  asyncContext?: boolean;
}

/** An incoming id is used only when it is 1 to 200 of these characters; anything else is replaced. */
const SANE_ID = /^[A-Za-z0-9._~:/+=-]{1,200}$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const storage = new AsyncLocalStorage<string>();

/**
 * The id of the request whose async context the caller runs in, or undefined outside any request
 * that went through a {@link RequestIdMiddleware}. Works in the endpoint, in dependencies, in the
 * middleware inside `RequestIdMiddleware`, in a streaming body and in background tasks, so that
 * log lines can carry it:
 *
 * @example
 * ```ts
 * const log = (message: string) => console.log(`[${requestId() ?? '-'}] ${message}`);
 * ```
 */
export function requestId(): string | undefined {
  return storage.getStore();
}

/**
 * Gives every request an id: the one in its `X-Request-ID` header when that is a sane value
 * (1 to 200 characters among letters, digits and `._~:/+=-`), else a new one (a random UUID).
 *
 * The id is sent back in the same response header, set as `request.state.requestId`, and
 * returned by {@link requestId} anywhere in the request's async context. A response the
 * server-error layer makes of an error that escaped every middleware does not carry it.
 *
 * @example
 * ```ts
 * app.addMiddleware(RequestIdMiddleware, { headerName: 'x-correlation-id' });
 * ```
 */
export class RequestIdMiddleware extends BuiltinMiddleware<RequestIdOptions | undefined> {
  /** The header name, lower-cased. */
  readonly headerName: string;
  private readonly generator: () => string;
  private readonly asyncContext: boolean;

  constructor(app: HTTPApp, options?: RequestIdOptions) {
    super(app, options);
    const headerName = options?.headerName ?? 'x-request-id';
    if (!HEADER_NAME.test(headerName)) throw new TypeError(`Invalid headerName: ${JSON.stringify(headerName)}`);
    this.headerName = headerName.toLowerCase();
    this.generator = options?.generator ?? randomUUID;
    this.asyncContext = options?.asyncContext ?? true;
  }

  protected override enter(request: Request): Exit {
    const incoming = request.headers.getAll(this.headerName)[0];
    const id = incoming !== undefined && SANE_ID.test(incoming) ? incoming : this.generator();
    request.state.requestId = id;
    return (response) => {
      response.headers.set(this.headerName, id);
      return response;
    };
  }

  protected override inContext<T>(request: Request, proceed: () => T): T {
    return this.asyncContext ? storage.run(request.state.requestId as string, proceed) : proceed();
  }
}
