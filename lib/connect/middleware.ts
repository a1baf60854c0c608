import { callApp, type HTTPApp, type MiddlewareClass, type MiddlewareSpec } from '../middleware/base';
import type { Request } from '../requests';
import type { Response } from '../responses';
import { ResponseCapture } from './capture';
import { mergeConnectHeaders } from './merge-headers';
import { normalizePath, normalizePrefix, splitBelow, splitTarget, underPrefix } from './paths';
import { nodeMessageOf, runConnect, type ConnectHandler } from './run';

function checkHandler(handler: unknown): asserts handler is ConnectHandler {
  if (typeof handler !== 'function') throw new TypeError(`connectMiddleware needs a function (req, res, next), got ${typeof handler}`);
  if (handler.length === 4) {
    throw new TypeError(
      'connectMiddleware got an error-handling middleware (err, req, res, next): stackware answers errors with exception handlers (app.exceptionHandler)',
    );
  }
}

/** Options of {@link connectMiddleware}. */
export interface ConnectMiddlewareOptions {
  /**
   * Run the middleware only for this path and those below it (`/admin`: `/admin`, `/admin/`,
   * `/admin/users`, `/admin.json`; not `/administrator`), as Connect's `app.use(path, fn)`. The
   * request's path is matched percent-decoded, with runs of slashes, `.` and `..` resolved and
   * regardless of case, so `/%61dmin`, `//admin` and `/x/../ADMIN` cannot step around a guard.
   * While it runs, `req.url` is the part below the prefix and `req.baseUrl` the prefix.
   */
  path?: string;
}

/** The options {@link ConnectMiddleware} is built with. */
export interface ConnectLayerOptions extends ConnectMiddlewareOptions {
  /** The Connect function. */
  handler: ConnectHandler;
}

/**
 * The layer {@link connectMiddleware} registers: runs a Connect/Express `(req, res, next)`
 * middleware on the request's Node `req` and `res` (Node adapter only).
 */
export class ConnectMiddleware implements HTTPApp {
  private readonly handler: ConnectHandler;
  private readonly prefix: string;
  private readonly name: string;

  constructor(
    private readonly app: HTTPApp,
    options: ConnectLayerOptions,
  ) {
    const handler = options?.handler;
    checkHandler(handler);
    this.handler = handler;
    this.prefix = options.path === undefined ? '' : normalizePrefix(options.path);
    this.name = `connectMiddleware(${handler.name || 'anonymous'})`;
  }

  handle(request: Request): Promise<Response> {
    const node = nodeMessageOf(request, this.name);
    let url: string | undefined;
    let baseUrl: string | undefined;
    if (this.prefix !== '') {
      if (!underPrefix(normalizePath(request.path), this.prefix)) return callApp(this.app, request);
      const { req } = node;
      const { path, query } = splitTarget(req.url ?? '/');
      const { base, rest } = splitBelow(path, this.prefix, true);
      url = rest + query;
      baseUrl = `${(req as { baseUrl?: string }).baseUrl ?? ''}${base}`;
    }
    return runConnect(request, node, this.handler, {
      url,
      baseUrl,
      onNext: () =>
        callApp(this.app, request).then((response) => {
          if (!ResponseCapture.of(node.res).isAnswer(response)) mergeConnectHeaders(node.res, response.headers);
          return response;
        }),
    });
  }
}

/**
 * What {@link connectMiddleware} returns: a middleware class taking no options, which is also a
 * ready registration, so it fits everywhere a middleware goes.
 */
export type ConnectMiddlewareClass = MiddlewareClass<[]> &
  MiddlewareSpec & {
    /** The Connect function it runs. */
    readonly handler: ConnectHandler;
  };

/**
 * A Connect/Express middleware `(req, res, next)` as a stackware middleware. The result is a
 * class and a registration at once, so each of these works:
 *
 * ```ts
 * app.addMiddleware(connectMiddleware(helmet()));
 * new Application({ middleware: [connectMiddleware(morgan('tiny'))] });
 * app.get('/me', me, { middleware: [connectMiddleware(passport.session())] });
 * ```
 *
 * It runs on the request's real `IncomingMessage` and `ServerResponse`, so it needs the Node
 * adapter (under `app.fetch` the request fails with a `TypeError` saying so), with `req.originalUrl`
 * and `res.locals` there as Express has them. When it calls `next()`, the stack goes on, and the
 * headers it set with `res.setHeader` are added to the response stackware answers (`set-cookie`
 * values all kept, `vary` merged, otherwise the response's own value wins). When it answers itself
 * (`res.end`), that is the response the layers outside see and the client gets; the layers inside
 * never run. `next(error)`, a throw or a rejected promise fails the request like a thrown error (an
 * error with a 4xx `status` becomes that `HTTPException`). What it adds to `req` (`req.user`,
 * `req.session`, `req.body`, `req.file`) is read with {@link connectRequest}. A body it reads stays
 * readable with `request.body()`, and one stackware read before it is readable by it.
 *
 * @throws TypeError for something that is not a function, or an error-handling middleware
 * `(err, req, res, next)` (stackware answers errors with exception handlers).
 */
export function connectMiddleware(handler: ConnectHandler, options: ConnectMiddlewareOptions = {}): ConnectMiddlewareClass {
  const layerOptions: ConnectLayerOptions = { ...options, handler };
  checkHandler(handler);
  const name = `ConnectMiddleware(${handler.name || 'anonymous'})`;
  const cls = class extends ConnectMiddleware {
    static readonly handler = handler;
    static readonly options = layerOptions;
    static get cls(): { readonly name: string } {
      return this;
    }
    static build(app: HTTPApp): HTTPApp {
      return new this(app);
    }
    constructor(app: HTTPApp) {
      super(app, layerOptions);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}
