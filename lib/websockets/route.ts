import type { HTTPApp, MiddlewareSpec } from '../middleware/base';
import type { Request } from '../requests';
import type { Response } from '../responses';
import type { PathParams } from '../routing/params';
import { Match, wrap, type CompiledRoute } from '../routing/route';
import { WEBSOCKET_METHOD } from '../routing/router';
import { compilePath, DEFAULT_MAX_PARAM_LENGTH, type CompiledPath } from '../routing/template';
import { checkWebSocketLimits, DEFAULT_WEBSOCKET_LIMITS, type ResolvedWebSocketLimits, type WebSocketLimits } from './connection';
import { WebSocket } from './websocket';


/**
 * A websocket handler: it accepts (or refuses) the socket, then talks until one side closes.
 *
 * @typeParam W - the websocket type, `WebSocket<State, Params>` for a route.
 */
export type WebSocketHandler<W extends WebSocket<object, object> = WebSocket> = (websocket: W) => Promise<void> | void;

/**
 * Options of {@link WebSocketRoute}: the connection limits (in place of the application's
 * `websocket` option), a name, route middleware.
 *
 * @typeParam State - the application's `request.state`.
 */
export interface WebSocketRouteOptions<State extends object = never> extends WebSocketLimits {
  /** Middleware wrapping only this route's handshake; the first in the list is the outermost. */
  middleware?: readonly MiddlewareSpec<NoInfer<State>>[];
  /** A name for reverse routing; the handler function's name by default. */
  name?: string;
}

/** The application settings a websocket route reads (an `Application`'s `websocketLimits` and `sendTimeout`). */
interface WebSocketApp {
  readonly websocketLimits?: WebSocketLimits;
  readonly sendTimeout?: number;
}

const ignore = (): void => undefined;

/** Runs the handler for one handshake and resolves with the handshake's answer. */
class WebSocketEndpoint implements HTTPApp {
  constructor(
    private readonly handler: WebSocketHandler<WebSocket<object, object>>,
    private readonly limits: WebSocketLimits,
  ) {}

  handle(request: Request): Promise<Response> {
    if (!request.isWebSocket) return Promise.reject(new Error('A websocket route was given a request that is not a websocket handshake'));
    const websocket = new WebSocket(request, this.resolveLimits(request));
    const control = websocket.control;
    const settled = (error: unknown, failed: boolean): void => {
      if (failed) request.endpointError = error;
      if (control.handlerSettled(error, failed)) {
        (request.app?.logger ?? console).error('The websocket handler failed; the socket was closed with 1011', error);
      }
    };
    let result: unknown;
    try {
      result = this.handler(websocket);
    } catch (error) {
      settled(error, true);
      return control.answer;
    }
    Promise.resolve(result).then(
      () => settled(undefined, false),
      (error: unknown) => settled(error, true),
    );
    control.answer.catch(ignore);
    return control.answer;
  }

  private resolveLimits(request: Request): ResolvedWebSocketLimits {
    const app = (request.app ?? {}) as WebSocketApp;
    const own = this.limits;
    const shared = app.websocketLimits ?? {};
    return {
      maxMessageSize: own.maxMessageSize ?? shared.maxMessageSize ?? DEFAULT_WEBSOCKET_LIMITS.maxMessageSize,
      pingInterval: own.pingInterval ?? shared.pingInterval ?? DEFAULT_WEBSOCKET_LIMITS.pingInterval,
      pingTimeout: own.pingTimeout ?? shared.pingTimeout ?? DEFAULT_WEBSOCKET_LIMITS.pingTimeout,
      sendHighWaterMark: own.sendHighWaterMark ?? shared.sendHighWaterMark ?? DEFAULT_WEBSOCKET_LIMITS.sendHighWaterMark,
      sendTimeout: own.sendTimeout ?? shared.sendTimeout ?? request.sendTimeout ?? app.sendTimeout ?? 60,
    };
  }
}

/**
 * Starlette's `WebSocketRoute`: a path template bound to a websocket handler. It matches only
 * websocket handshakes (an ordinary request to its path is a 404 unless an HTTP route takes it),
 * so an HTTP route and a websocket route can share a path.
 *
 * @typeParam Path - the template; it types `websocket.pathParams`.
 * @typeParam State - the type of `request.state`.
 */
export class WebSocketRoute<Path extends string = string, State extends object = Record<string, unknown>> implements CompiledRoute {
  /** The path template. */
  readonly path: Path;
  /** `options.name`, else the handler function's name, if any. */
  readonly name: string | undefined;
  /** The handler, as given. */
  readonly handler: WebSocketHandler<WebSocket<object, object>>;
  /** The middleware wrapping only this route, outermost first. */
  readonly middleware: readonly MiddlewareSpec<never>[];
  /** @internal */
  readonly compiled: CompiledPath;
  private readonly app: HTTPApp;

  constructor(path: Path, handler: WebSocketHandler<WebSocket<State, PathParams<Path>>>, options: WebSocketRouteOptions<State> = {}) {
    if (!path.startsWith('/')) throw new Error(`Routed paths must start with '/': ${JSON.stringify(path)}`);
    if (typeof handler !== 'function') throw new TypeError('A websocket route needs a handler function');
    this.path = path;
    this.handler = handler as unknown as WebSocketHandler<WebSocket<object, object>>;
    this.name = options.name ?? (handler.name || undefined);
    this.compiled = compilePath(path);
    this.middleware = [...(options.middleware ?? [])];
    const { middleware: _middleware, name: _name, ...limits } = options;
    this.app = wrap(new WebSocketEndpoint(this.handler, checkWebSocketLimits(limits)), this.middleware);
  }

  matches(routePath: string, method: string, params: Record<string, unknown>): Match {
    return this.matchPath(routePath, method, params, DEFAULT_MAX_PARAM_LENGTH);
  }

  /** @internal */
  matchPath(routePath: string, method: string, params: Record<string, unknown>, maxParamLength: number): Match {
    if (method !== WEBSOCKET_METHOD) return Match.None;
    return this.compiled.match(routePath, params, maxParamLength) ? Match.Full : Match.None;
  }

  /** Runs the route's middleware, then the handler, for a handshake. */
  handle(request: Request): Promise<Response> {
    return this.app.handle(request);
  }
}
