import { HTTPException } from '../exceptions';
import type { HTTPApp } from '../middleware/base';
import type { Request } from '../requests';
import type { Response } from '../responses';
import { splitBelow, splitTarget } from './paths';
import { nodeMessageOf, runConnect, type ConnectHandler } from './run';

/**
 * A Node request handler (an Express or Connect app, or any `(req, res)` listener) as a stackware
 * app: Starlette's `WSGIMiddleware`, for moving an application over one route at a time. Mount it
 * under a prefix and it answers everything below it:
 *
 * ```ts
 * app.mount('/legacy', fromNodeHandler(expressApp));
 * ```
 *
 * It gets the request's real `req` and `res` with `req.url` relative to the mount (still
 * percent-encoded, with its query), `req.baseUrl` the prefix and `req.originalUrl` the target as
 * received. What it writes is the response the stackware layers outside see: they can still
 * change its status and headers (CORS, request id, session cookies reach the client), and a
 * streaming answer streams. Given a third argument, an Express app calls it when none of its routes
 * matched (stackware's 404 then answers) or with an error its own handlers did not take (which
 * fails the request like a thrown error). Node adapter only, as {@link connectMiddleware}.
 */
export class NodeHandlerApp implements HTTPApp {
  constructor(private readonly handler: ConnectHandler) {
    if (typeof handler !== 'function') throw new TypeError(`fromNodeHandler needs a function (req, res), got ${typeof handler}`);
  }

  handle(request: Request): Promise<Response> {
    const node = nodeMessageOf(request, 'fromNodeHandler');
    const { path, query } = splitTarget(node.req.url ?? '/');
    const { base, rest } = splitBelow(path, request.rootPath, false);
    const mountedAt = (node.req as { baseUrl?: string }).baseUrl ?? '';
    return runConnect(request, node, this.handler, {
      url: rest + query,
      baseUrl: mountedAt + base,
      onNext: () => Promise.reject(new HTTPException(404)),
    });
  }
}

/** A Node request handler (an Express app, any `(req, res)` listener) as a stackware app: see {@link NodeHandlerApp}. */
export function fromNodeHandler(handler: ConnectHandler): NodeHandlerApp {
  return new NodeHandlerApp(handler);
}
