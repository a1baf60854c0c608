import type * as PromClient from 'prom-client';
import { aggregatesAcrossWorkers, requestClusterMetrics } from '../cluster-metrics';
import type { Request } from '../requests';
import { Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';

/**
 * The part of a prom-client `Registry` stackware uses: pass your own (`new Registry()`) to keep
 * these metrics apart from the default registry.
 */
export interface MetricsRegistry {
  /** The exposition text of every metric in the registry. */
  metrics(): Promise<string>;
  /** The `Content-Type` of that text. */
  readonly contentType: string;
  /** A metric already registered under `name`, if any. */
  getSingleMetric(name: string): unknown;
}

/** Options of {@link PrometheusMiddleware}; every one is optional. */
export interface PrometheusOptions {
  /** Where the metrics are registered. Default: prom-client's global `register`. */
  registry?: MetricsRegistry;
  /** Prepended to every metric name, such as `'myapp_'`. Default `''`. */
  prefix?: string;
  /** Bucket upper bounds of the duration histogram, in seconds. Default prom-client's `[0.005 … 10]`. */
  buckets?: readonly number[];
  /** Request paths not measured at all (the `/metrics` endpoint itself, health checks). Default `[]`. */
  skipPaths?: readonly string[];
  /**
   * The `route` label of a request no route matched (404, 405, trailing-slash redirect). Default
   * `'__unmatched__'`, so a scanner trying a million paths adds one series, not a million.
   */
  unmatchedRoute?: string;
  /**
   * Label unmatched requests by their raw path instead of {@link PrometheusOptions.unmatchedRoute}.
   * Unbounded cardinality: only for an application behind something that filters paths. Default false.
   */
  rawUnmatchedPaths?: boolean;
  /** Also record `http_request_size_bytes` and `http_response_size_bytes` histograms. Default false. */
  sizeHistograms?: boolean;
}

/** Methods kept as they are in the `method` label; any other is `_OTHER` (as OpenTelemetry does). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const SIZE_BUCKETS = [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/** Loads prom-client on first use only, so `import { Application } from 'stackware'` never does. */
function loadPromClient(): typeof PromClient {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('prom-client') as typeof PromClient;
  } catch (error) {
    throw new Error('PrometheusMiddleware needs the optional peer dependency prom-client: npm install prom-client', { cause: error });
  }
}

/** The label value of a method: itself when it is a standard one, else `_OTHER`. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

interface Instruments {
  requests: PromClient.Counter<'method' | 'route' | 'status'>;
  duration: PromClient.Histogram<'method' | 'route' | 'status'>;
  inProgress: PromClient.Gauge<'method' | 'route'>;
  requestSize: PromClient.Histogram<'method' | 'route' | 'status'> | undefined;
  responseSize: PromClient.Histogram<'method' | 'route' | 'status'> | undefined;
}

/**
 * A metric of this name already in the registry (a second middleware on the same registry, a
 * reloaded module) is reused rather than registered twice, which prom-client refuses.
 */
function metric<T>(registry: MetricsRegistry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

function createInstruments(options: PrometheusOptions, registry: MetricsRegistry): Instruments {
  const prom = loadPromClient();
  const registers = [registry as PromClient.Registry];
  const prefix = options.prefix ?? '';
  const labelNames = ['method', 'route', 'status'] as const;
  const sizes = (name: string, help: string) =>
    metric(registry, name, () => new prom.Histogram({ name, help, labelNames, buckets: SIZE_BUCKETS, registers }));
  return {
    requests: metric(
      registry,
      `${prefix}http_requests_total`,
      () => new prom.Counter({ name: `${prefix}http_requests_total`, help: 'HTTP requests answered, by method, route template and status.', labelNames, registers }),
    ),
    duration: metric(
      registry,
      `${prefix}http_request_duration_seconds`,
      () =>
        new prom.Histogram({
          name: `${prefix}http_request_duration_seconds`,
          help: 'Time from the request arriving to the last byte of its response (or the disconnect), in seconds.',
          labelNames,
          ...(options.buckets === undefined ? {} : { buckets: [...options.buckets] }),
          registers,
        }),
    ),
    inProgress: metric(
      registry,
      `${prefix}http_requests_in_progress`,
      () => new prom.Gauge({ name: `${prefix}http_requests_in_progress`, help: 'HTTP requests whose response has not finished yet, by method and route template.', labelNames: ['method', 'route'] as const, registers }),
    ),
    requestSize: options.sizeHistograms ? sizes(`${prefix}http_request_size_bytes`, 'Request body size (Content-Length), in bytes.') : undefined,
    responseSize: options.sizeHistograms ? sizes(`${prefix}http_response_size_bytes`, 'Response body bytes sent.') : undefined,
  };
}

/**
 * Prometheus metrics of every request (the equal of `prometheus-fastapi-instrumentator`), with
 * [prom-client](https://github.com/siimon/prom-client) as an optional peer dependency, loaded
 * when the middleware is constructed:
 *
 * - `http_requests_total{method,route,status}`, a counter;
 * - `http_request_duration_seconds{method,route,status}`, a histogram timed to the response's last
 *   byte (a stream is measured to its end) or to the client going away;
 * - `http_requests_in_progress{method,route}`, a gauge; its route is the one routing will choose,
 *   looked up when the request arrives (`app.routeTemplateFor`), since the gauge goes up before routing runs;
 * - with `sizeHistograms`, `http_request_size_bytes` and `http_response_size_bytes`.
 *
 * `route` is the route template (`/users/{id:int}`), never the raw path; a request no route matched
 * is counted under `__unmatched__`. Serve the text with {@link metricsEndpoint}.
 *
 * @example
 * ```ts
 * app.addMiddleware(PrometheusMiddleware, { skipPaths: ['/metrics'] });
 * app.route('/metrics', metricsEndpoint());
 * ```
 */
export class PrometheusMiddleware extends BaseHTTPMiddleware<PrometheusOptions | undefined> {
  /** The registry the metrics live in. */
  readonly registry: MetricsRegistry;
  private readonly instruments: Instruments;
  private readonly skipPaths: ReadonlySet<string>;
  private readonly unmatchedRoute: string;
  private readonly rawUnmatchedPaths: boolean;

  constructor(app: HTTPApp, options?: PrometheusOptions) {
    super(app, options);
    const opts = options ?? {};
    this.registry = opts.registry ?? loadPromClient().register;
    this.instruments = createInstruments(opts, this.registry);
    this.skipPaths = new Set(opts.skipPaths ?? []);
    this.unmatchedRoute = opts.unmatchedRoute ?? '__unmatched__';
    this.rawUnmatchedPaths = opts.rawUnmatchedPaths ?? false;
  }

  override dispatch(request: Request, callNext: CallNext): Promise<Response> {
    if (this.skipPaths.has(request.path)) return callNext(request);
    const method = methodLabel(request.method);
    const { requests, duration, inProgress, requestSize, responseSize } = this.instruments;
    // Up before routing runs, so labelled by the route routing will choose; down with the same labels.
    const pending = { method, route: this.labelOf(request, request.app?.routeTemplateFor?.(request)) };
    inProgress.inc(pending);
    request.onFinish(({ statusCode, durationMs, bytesSent }) => {
      inProgress.dec(pending);
      const labels = { method, route: this.labelOf(request, request.routeTemplate), status: String(statusCode) };
      requests.inc(labels);
      duration.observe(labels, durationMs / 1000);
      responseSize?.observe(labels, bytesSent);
      if (requestSize !== undefined) {
        const length = Number(request.headers.get('content-length') ?? 0);
        requestSize.observe(labels, Number.isFinite(length) && length >= 0 ? length : 0);
      }
    });
    return callNext(request);
  }

  private labelOf(request: Request, template: string | undefined): string {
    return template ?? (this.rawUnmatchedPaths ? request.path : this.unmatchedRoute);
  }
}

/**
 * An endpoint serving a registry's metrics in the Prometheus text format (prom-client's global
 * `register` by default): mount it with `app.get('/metrics', metricsEndpoint())`.
 *
 * Under `stackware serve --workers N`, the worker that takes the scrape asks the primary, which
 * collects the registry of every worker (prom-client's `AggregatorRegistry`) and answers with the
 * sum: every scrape sees the whole cluster. A 503 says the primary did not answer in 8 s (its own wait for the workers is 5 s).
 */
export function metricsEndpoint(registry?: MetricsRegistry): () => Promise<Response> {
  const clustered = aggregatesAcrossWorkers();
  if (clustered) {
    const prom = loadPromClient();
    prom.AggregatorRegistry.setRegistries([(registry ?? prom.register) as PromClient.Registry]);
    // Constructing one is what makes prom-client answer the primary's requests in this worker.
    new prom.AggregatorRegistry();
  }
  return async () => {
    if (clustered) {
      try {
        const { text, contentType } = await requestClusterMetrics(8000);
        return new Response(text, { headers: { 'content-type': contentType } });
      } catch (error) {
        return new Response(error instanceof Error ? error.message : String(error), { statusCode: 503 });
      }
    }
    const source = registry ?? loadPromClient().register;
    return new Response(await source.metrics(), { headers: { 'content-type': source.contentType } });
  };
}
