import type * as OTelApi from '@opentelemetry/api';
import { HTTPException } from '../exceptions';
import type { Headers } from '../headers';
import type { ResponseFinished } from '../finish';
import { connectionAttributes, durationAttributes, requestAttributes, semconvMethod, spanName } from '../opentelemetry/attributes';
import { loadOpenTelemetryApi, Providers, type HttpRpcMetadata, type ServerInstruments } from '../opentelemetry/providers';
import type { Request } from '../requests';
import type { Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';

/**
 * An OpenTelemetry `TracerProvider`, described by shape so that stackware's published types do not
 * need `@opentelemetry/api` installed (it is an optional peer); the api's own type fits it.
 */
export interface TracerProviderLike {
  /** Returns a tracer (`@opentelemetry/api`'s `Tracer`). */
  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): unknown;
}

/** An OpenTelemetry `MeterProvider`, by shape (see {@link TracerProviderLike}). */
export interface MeterProviderLike {
  /** Returns a meter (`@opentelemetry/api`'s `Meter`). */
  getMeter(name: string, version?: string, options?: { schemaUrl?: string }): unknown;
}

/** Options of {@link OpenTelemetryMiddleware}; every one is optional. */
export interface OpenTelemetryOptions {
  /** Where spans go. Default: the globally registered provider (`trace.setGlobalTracerProvider`, `NodeSDK`). */
  tracerProvider?: TracerProviderLike;
  /** Where the metrics go. Default: the globally registered one (`metrics.setGlobalMeterProvider`, `NodeSDK`). */
  meterProvider?: MeterProviderLike;
  /** Request paths neither traced nor measured (health checks, the metrics scrape). Default `[]`. */
  skipPaths?: readonly string[];
}

/** A clear error at start-up rather than a middleware that silently traces nothing. */
function checkOptions(options: OpenTelemetryOptions | undefined): void {
  if (options === undefined) return;
  if (options.tracerProvider !== undefined && typeof options.tracerProvider.getTracer !== 'function') {
    throw new TypeError('OpenTelemetryMiddleware: tracerProvider must be a TracerProvider (an object with getTracer)');
  }
  if (options.meterProvider !== undefined && typeof options.meterProvider.getMeter !== 'function') {
    throw new TypeError('OpenTelemetryMiddleware: meterProvider must be a MeterProvider (an object with getMeter)');
  }
  const paths = options.skipPaths;
  if (paths !== undefined && (!Array.isArray(paths) || !paths.every((path) => typeof path === 'string'))) {
    throw new TypeError('OpenTelemetryMiddleware: skipPaths must be an array of paths');
  }
}

const headerGetter: OTelApi.TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

/**
 * OpenTelemetry tracing and metrics of every request (the equal of
 * `opentelemetry-instrumentation-fastapi`), with `@opentelemetry/api` as an optional peer
 * dependency, loaded when the middleware is constructed. Bring an SDK (`NodeSDK`, or a tracer and
 * meter provider) to record anything: without one the middleware only calls the next layer.
 *
 * - One SERVER span per request, named `{method} {route template}` (`GET /users/{id:int}`; `GET`
 *   when no route matched), with the stable HTTP semantic-convention attributes. Its parent is the
 *   incoming `traceparent` (read by the global propagator). It is the active span in the inner
 *   middleware, the endpoint, its streaming body, dependency exit code and background tasks.
 * - It ends when the response has finished (`request.onFinish`): a stream is timed to its last byte.
 *   Status ERROR for a 5xx or an exception (recorded on the span), unset otherwise.
 * - `http.server.request.duration` (histogram, seconds) and `http.server.active_requests`.
 * - Under `@opentelemetry/instrumentation-http`, which already made the SERVER span: its span is
 *   given the route (name and `http.route`, through its RPC metadata, as `@fastify/otel` does),
 *   this middleware's span is INTERNAL, its child, and the metrics are left to instrumentation-http.
 * - `request.state.traceId` and `request.state.spanId` name the span, so `request.log` lines carry them.
 *
 * @example
 * ```ts
 * app.addMiddleware(OpenTelemetryMiddleware, { skipPaths: ['/health'] });
 * ```
 */
export class OpenTelemetryMiddleware extends BaseHTTPMiddleware<OpenTelemetryOptions | undefined> {
  private readonly api: typeof OTelApi;
  private readonly providers: Providers;
  private readonly skipPaths: ReadonlySet<string>;

  constructor(app: HTTPApp, options?: OpenTelemetryOptions) {
    super(app, options);
    checkOptions(options);
    this.api = loadOpenTelemetryApi();
    this.providers = new Providers(
      this.api,
      options?.tracerProvider as OTelApi.TracerProvider | undefined,
      options?.meterProvider as OTelApi.MeterProvider | undefined,
    );
    this.skipPaths = new Set(options?.skipPaths ?? []);
  }

  override dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const tracer = this.providers.currentTracer();
    const instruments = this.providers.currentInstruments();
    if ((tracer === undefined && instruments === undefined) || (this.skipPaths.size > 0 && this.skipPaths.has(request.path))) {
      return callNext(request);
    }
    const api = this.api;
    const active = api.context.active();
    // A second OpenTelemetryMiddleware on the way (an app and a mounted one both add it): one span is enough.
    if (active.getValue(this.providers.requestSpanKey) !== undefined) return callNext(request);
    const rpc = this.providers.httpRpcMetadata(active);
    const method = semconvMethod(request.method);
    const parent = api.trace.getSpan(active) === undefined ? api.propagation.extract(active, request.headers, headerGetter) : active;
    const span =
      tracer?.startSpan(
        spanName(method, undefined),
        { kind: rpc === undefined ? api.SpanKind.SERVER : api.SpanKind.INTERNAL, attributes: requestAttributes(request, method), startTime: request.startedAt },
        parent,
      ) ?? api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT);
    const context = (tracer === undefined ? parent : api.trace.setSpan(parent, span)).setValue(this.providers.requestSpanKey, true);
    const spanContext = span.spanContext();
    if (api.trace.isSpanContextValid(spanContext)) {
      request.state.traceId = spanContext.traceId;
      request.state.spanId = spanContext.spanId;
    }
    // Under instrumentation-http, its own metrics count the request (with the route given below).
    const metrics = rpc === undefined ? instruments : undefined;
    const activeAttributes = { 'http.request.method': method, 'url.scheme': request.scheme };
    metrics?.active.add(1, activeAttributes);
    const exchange = new Exchange(api, request, method, span, rpc);
    request.onFinish((finished) => {
      metrics?.active.add(-1, activeAttributes);
      exchange.finish(finished, metrics);
    });
    return api.context.with(context, callNext, undefined, request).then(
      (response) => {
        exchange.routeKnown();
        return response;
      },
      (error: unknown) => {
        exchange.failed(error);
        throw error;
      },
    );
  }
}

/** One request's span, from the request's arrival to its response's end. */
class Exchange {
  private errorType: string | undefined;

  constructor(
    private readonly api: typeof OTelApi,
    private readonly request: Request,
    private readonly method: string,
    private readonly span: OTelApi.Span,
    private readonly rpc: HttpRpcMetadata | undefined,
  ) {}

  /** Once routing has run: the route names the span (and instrumentation-http's). */
  routeKnown(): void {
    const route = this.request.routeTemplate;
    if (route === undefined) return;
    this.span.updateName(spanName(this.method, route));
    this.span.setAttribute('http.route', route);
    if (this.rpc !== undefined) this.rpc.route = route;
  }

  /** An error escaped the inner layers (the server-error layer makes it a 500). */
  failed(error: unknown): void {
    if (error instanceof HTTPException) return; // this middleware's base class makes it a response
    this.errorType = error instanceof Error ? error.constructor.name : typeof error;
    if (error instanceof Error) this.span.recordException(error);
    this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }

  finish({ statusCode, durationMs }: ResponseFinished, metrics: ServerInstruments | undefined): void {
    this.routeKnown();
    const request = this.request;
    if (statusCode >= 500 && this.errorType === undefined) {
      this.errorType = String(statusCode);
      this.span.setStatus({ code: this.api.SpanStatusCode.ERROR });
    }
    const span = this.span;
    if (span.isRecording()) {
      const attributes = connectionAttributes(request, { 'http.response.status_code': statusCode });
      if (this.errorType !== undefined) attributes['error.type'] = this.errorType;
      span.setAttributes(attributes);
      span.end(request.startedAt + durationMs);
    }
    metrics?.duration.record(
      durationMs / 1000,
      durationAttributes(this.method, request.scheme, request.httpVersion, statusCode, request.routeTemplate, this.errorType),
    );
  }
}
