/** The fields every line of {@link RequestLogger} carries, besides what the caller adds. */
export interface RequestLogFields {
  /** The request id (`request.state.requestId`, set by `RequestIdMiddleware`), when there is one. */
  requestId?: string;
  /** The request method. */
  method: string;
  /** The route template, once routing has chosen a route (`request.routeTemplate`). */
  route?: string;
  /** The trace id of the request's span (`request.state.traceId`, set by `OpenTelemetryMiddleware`). */
  traceId?: string;
  /** The id of the request's span (`request.state.spanId`, set by `OpenTelemetryMiddleware`). */
  spanId?: string;
  /** Further fields given by the caller. */
  [field: string]: unknown;
}

/**
 * Where {@link RequestLogger} writes: any object with console's four methods, called as
 * `backend.info(message, fields)`. `console` is one; {@link pinoBackend} adapts a pino logger.
 */
export interface LogBackend {
  /** Writes one line at debug level. */
  debug(message: string, fields: RequestLogFields): void;
  /** Writes one line at info level. */
  info(message: string, fields: RequestLogFields): void;
  /** Writes one line at warn level. */
  warn(message: string, fields: RequestLogFields): void;
  /** Writes one line at error level. */
  error(message: string, fields: RequestLogFields): void;
}

/** The part of a pino logger {@link pinoBackend} uses: `logger.info(object, message)`. */
export interface PinoLike {
  /** pino's `debug(mergingObject, message)`. */
  debug(object: object, message: string): void;
  /** pino's `info(mergingObject, message)`. */
  info(object: object, message: string): void;
  /** pino's `warn(mergingObject, message)`. */
  warn(object: object, message: string): void;
  /** pino's `error(mergingObject, message)`. */
  error(object: object, message: string): void;
}

/**
 * Adapts a pino logger to {@link LogBackend}: each call is one JSON line with the request's fields
 * merged in (`{"level":30,"requestId":"…","method":"GET","route":"/users/{id:int}","msg":"…"}`).
 */
export function pinoBackend(logger: PinoLike): LogBackend {
  return {
    debug: (message, fields) => logger.debug(fields, message),
    info: (message, fields) => logger.info(fields, message),
    warn: (message, fields) => logger.warn(fields, message),
    error: (message, fields) => logger.error(fields, message),
  };
}

/** What a {@link RequestLogger} reads from its request when it writes a line. */
export interface LoggedRequest {
  /** The request method. */
  readonly method: string;
  /** The route template, undefined before routing or when nothing matched. */
  readonly routeTemplate: string | undefined;
  /** The request state, where `RequestIdMiddleware` puts `requestId` and `OpenTelemetryMiddleware` `traceId` and `spanId`. */
  readonly state: object;
}

/**
 * `request.log`: a logger bound to one request. Each line carries the request id, the trace and
 * span ids (with `OpenTelemetryMiddleware`), the method and the route template as they are when the line is written (the route is known after routing), so
 * it is the same in middleware, endpoints, streaming bodies, dependencies and background tasks.
 */
export class RequestLogger {
  constructor(
    private readonly request: LoggedRequest,
    private readonly backend: LogBackend,
  ) {}

  /** Logs at debug level. */
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.backend.debug(message, this.fields(fields));
  }
  /** Logs at info level. */
  info(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.backend.info(message, this.fields(fields));
  }
  /** Logs at warn level. */
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.backend.warn(message, this.fields(fields));
  }
  /** Logs at error level. */
  error(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.backend.error(message, this.fields(fields));
  }

  private fields(extra: Readonly<Record<string, unknown>> | undefined): RequestLogFields {
    const { requestId, traceId, spanId } = this.request.state as { requestId?: unknown; traceId?: unknown; spanId?: unknown };
    const bound: RequestLogFields = { method: this.request.method };
    if (typeof requestId === 'string') bound.requestId = requestId;
    if (typeof traceId === 'string') bound.traceId = traceId;
    if (typeof spanId === 'string') bound.spanId = spanId;
    if (this.request.routeTemplate !== undefined) bound.route = this.request.routeTemplate;
    return extra === undefined ? bound : { ...extra, ...bound };
  }
}
