// Loads @opentelemetry/api on first use and finds out, per request and cheaply, whether an SDK is
// there to record anything: with none registered the middleware only calls the next layer.
import type * as OTelApi from '@opentelemetry/api';

/** The instrumentation scope the spans and metrics are reported under. */
export const SCOPE = 'stackware';

/** The semantic-convention bucket boundaries of `http.server.request.duration`, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Loads @opentelemetry/api; only OpenTelemetryMiddleware calls it, so `import 'stackware'` never does. */
export function loadOpenTelemetryApi(): typeof OTelApi {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@opentelemetry/api') as typeof OTelApi;
  } catch (error) {
    throw new Error('OpenTelemetryMiddleware needs the optional peer dependency @opentelemetry/api: npm install @opentelemetry/api', { cause: error });
  }
}

/**
 * The RPC metadata @opentelemetry/instrumentation-http puts in the context of the request it made
 * a SERVER span for (`@opentelemetry/core`'s `getRPCMetadata`): setting `route` on it gives that
 * span (and its duration metric) `http.route`. The key is `Symbol.for` of a fixed description, so
 * it is the same one without depending on @opentelemetry/core.
 */
export interface HttpRpcMetadata {
  type: 'http';
  span: OTelApi.Span;
  route?: string;
}

/** The metrics of one meter. */
export interface ServerInstruments {
  duration: OTelApi.Histogram;
  active: OTelApi.UpDownCounter;
}

/** Resolves the tracer and instruments to use for a request, or undefined when they would record nothing. */
export class Providers {
  readonly rpcMetadataKey: symbol;
  /** Set in the context of a request an OpenTelemetryMiddleware already traces. */
  readonly requestSpanKey: symbol;
  private readonly noopTracerProvider: OTelApi.TracerProvider;
  private readonly noopMeterPrototype: object | null;
  private tracerOf: OTelApi.TracerProvider | undefined;
  private tracer: OTelApi.Tracer | undefined;
  private meterOf: OTelApi.MeterProvider | undefined;
  private instrumentsOf: ServerInstruments | undefined;

  constructor(
    private readonly api: typeof OTelApi,
    private readonly tracerProvider: OTelApi.TracerProvider | undefined,
    private readonly meterProvider: OTelApi.MeterProvider | undefined,
  ) {
    this.rpcMetadataKey = api.createContextKey('OpenTelemetry SDK Context Key RPC_METADATA');
    this.requestSpanKey = api.createContextKey('stackware OpenTelemetryMiddleware request');
    // The api's module-private no-op provider, which a global proxy delegates to until an SDK is registered.
    this.noopTracerProvider = new api.ProxyTracerProvider().getDelegate();
    this.noopMeterPrototype = Object.getPrototypeOf(api.createNoopMeter()) as object | null;
  }

  /** The tracer of the configured or global provider; undefined while no SDK is registered. */
  currentTracer(): OTelApi.Tracer | undefined {
    const provider = this.tracerProvider ?? this.api.trace.getTracerProvider();
    // Looked at again while undefined: an SDK registered after the first request gives the global proxy a delegate.
    if (provider !== this.tracerOf || this.tracer === undefined) {
      this.tracerOf = provider;
      // Duck-typed: the global proxy may come from another copy of @opentelemetry/api in the tree.
      const delegate = typeof (provider as Partial<OTelApi.ProxyTracerProvider>).getDelegate === 'function' ? (provider as OTelApi.ProxyTracerProvider).getDelegate() : provider;
      const noop = delegate === this.noopTracerProvider || delegate.constructor.name === 'NoopTracerProvider';
      this.tracer = noop ? undefined : provider.getTracer(SCOPE);
    }
    return this.tracer;
  }

  /** The instruments of the configured or global meter provider; undefined for the no-op one. */
  currentInstruments(): ServerInstruments | undefined {
    const provider = this.meterProvider ?? this.api.metrics.getMeterProvider();
    if (provider !== this.meterOf) {
      this.meterOf = provider;
      const meter = provider.getMeter(SCOPE);
      const noop = Object.getPrototypeOf(meter) === this.noopMeterPrototype || meter.constructor.name === 'NoopMeter';
      this.instrumentsOf = noop ? undefined : createInstruments(meter);
    }
    return this.instrumentsOf;
  }

  /** The RPC metadata of an active instrumentation-http SERVER span in `context`, if any. */
  httpRpcMetadata(context: OTelApi.Context): HttpRpcMetadata | undefined {
    const value = context.getValue(this.rpcMetadataKey) as Partial<HttpRpcMetadata> | undefined;
    return value?.type === 'http' && value.span !== undefined ? (value as HttpRpcMetadata) : undefined;
  }
}

function createInstruments(meter: OTelApi.Meter): ServerInstruments {
  return {
    duration: meter.createHistogram('http.server.request.duration', {
      unit: 's',
      description: 'Duration of HTTP server requests, to the last byte of the response.',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    }),
    active: meter.createUpDownCounter('http.server.active_requests', {
      unit: '{request}',
      description: 'Number of active HTTP server requests.',
    }),
  };
}
