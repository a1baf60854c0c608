// The real OpenTelemetry SDK, set up as an application would, with in-memory exporters.
import { context, propagation, trace, type Span as ApiSpan } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A metric reader that reads on demand (`collect()`), the SDK's own aggregation. */
export class InMemoryMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface TestSdk {
  exporter: InMemorySpanExporter;
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  reader: InMemoryMetricReader;
  /** The finished spans, once there are at least `count` (bounded wait: spans end after the last byte). */
  spans(count: number, ms?: number): Promise<ReadableSpan[]>;
  /** The metrics collected now. */
  metrics(): Promise<ResourceMetrics>;
  shutdown(): Promise<void>;
}

/** Registers the context manager, the W3C propagator and a tracer provider globally, and makes a meter provider. */
export function startSdk(): TestSdk {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new InMemoryMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  trace.setGlobalTracerProvider(tracerProvider);
  return {
    exporter,
    tracerProvider,
    meterProvider,
    reader,
    async spans(count, ms = 3000) {
      const deadline = Date.now() + ms;
      while (exporter.getFinishedSpans().length < count) {
        if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${count} spans; have ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return exporter.getFinishedSpans();
    },
    async metrics() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics;
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** A span made by application code, as a user would (`trace.getTracer(...).startActiveSpan`). */
export function userSpan<T>(name: string, fn: () => T): T {
  return trace.getTracer('app').startActiveSpan(name, (span: ApiSpan) => {
    try {
      return fn();
    } finally {
      span.end();
    }
  });
}
