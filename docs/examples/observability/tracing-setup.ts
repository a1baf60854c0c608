// Load this before the application (`node --import ./tracing-setup.js server.js`).
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Sends spans to an OpenTelemetry collector over OTLP/HTTP (port 4318 by default). */
export function startTracing(url = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? 'http://localhost:4318/v1/traces'): NodeTracerProvider {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'orders' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  // Global tracer provider, AsyncLocalStorage context manager and W3C trace-context propagator.
  provider.register();
  return provider;
}
