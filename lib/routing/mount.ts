import type { HTTPApp, MiddlewareSpec } from '../middleware/base';
import type { Request } from '../requests';
import type { Response } from '../responses';
import { Match, wrap, type CompiledRoute } from './route';
import { compilePath, DEFAULT_MAX_PARAM_LENGTH, type CompiledPath } from './template';

/**
 * Options of {@link Mount}.
 *
 * @typeParam State - the application's `request.state`: middleware declaring more is a compile error.
 */
export interface MountOptions<State extends object = never> {
  /** Middleware wrapping only the mounted app; the first in the list is the outermost. */
  middleware?: readonly MiddlewareSpec<NoInfer<State>>[];
  /** A name for the mount: reverse routing names the routes inside it `name:route`. */
  name?: string;
}

/** @internal Where a mount's match leaves the prefix it consumed, for the router to move into `rootPath`. */
export const MOUNT_PREFIX = '\0mountPrefix';
const REST = '__mount_rest';

/**
 * Serves everything under a path prefix with another app (an `Application`, a `Router`, any
 * `HTTPApp`). Inside it, `request.rootPath` ends with the prefix and routing sees the rest.
 */
export class Mount implements CompiledRoute {
  /** The prefix, without trailing slashes (`''` for the root). */
  readonly path: string;
  /** `options.name`, if given. */
  readonly name: string | undefined;
  /** The app served under the prefix, as given. */
  readonly mounted: HTTPApp;
  /** The middleware wrapping only the mounted app, outermost first. */
  readonly middleware: readonly MiddlewareSpec<never>[];
  /** @internal */
  readonly compiled: CompiledPath;
  /** @internal The prefix alone, for reverse routing. */
  readonly prefix: CompiledPath;
  private readonly app: HTTPApp;

  constructor(path: string, app: HTTPApp, options: MountOptions = {}) {
    if (path !== '' && !path.startsWith('/')) throw new Error(`Routed paths must start with '/': ${JSON.stringify(path)}`);
    let end = path.length;
    while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
    this.path = path.slice(0, end);
    this.name = options.name;
    this.compiled = compilePath(`${this.path}/{${REST}:path}`);
    this.prefix = compilePath(this.path);
    this.mounted = app;
    this.middleware = [...(options.middleware ?? [])];
    this.app = wrap(app, this.middleware);
  }

  matches(routePath: string, method: string, params: Record<string, unknown>): Match {
    return this.matchPath(routePath, method, params, DEFAULT_MAX_PARAM_LENGTH);
  }

  /** @internal */
  matchPath(routePath: string, _method: string, params: Record<string, unknown>, maxParamLength: number): Match {
    if (!this.compiled.match(routePath, params, maxParamLength)) return Match.None;
    const rest = params[REST] as string;
    delete params[REST];
    // The prefix consumed is the route path minus "/" + rest; remembered for the router.
    params[MOUNT_PREFIX] = routePath.slice(0, routePath.length - rest.length - 1);
    return Match.Full;
  }

  /** Runs the mounted app, through the mount's middleware. */
  handle(request: Request): Promise<Response> {
    return this.app.handle(request);
  }
}
