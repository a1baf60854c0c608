import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { DataPointType, type HistogramMetricData, type MetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  APIRouter,
  Application,
  BackgroundTasks,
  HTTPException,
  OpenTelemetryMiddleware,
  PlainTextResponse,
  ProxyHeadersMiddleware,
  StreamingResponse,
} from 'stackware';
import { rawRequest, recordingLogger, serve, within } from '../helpers';
import { startSdk, userSpan, type TestSdk } from '../opentelemetry/sdk';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function usersApp(sdk: TestSdk, options: ConstructorParameters<typeof OpenTelemetryMiddleware>[1] = {}): Application {
  const app = new Application({ logger: recordingLogger() });
  app.addMiddleware(OpenTelemetryMiddleware, { meterProvider: sdk.meterProvider, ...options });
  const users = new APIRouter();
  users.get('/users/{id:int}', (request) => ({ id: request.pathParams.id }));
  app.includeRouter(users, { prefix: '/v1' });
  app.get('/boom', () => {
    throw new TypeError('the endpoint broke');
  });
  app.get('/unavailable', () => {
    throw new HTTPException(503, 'down for maintenance');
  });
  app.get('/forbidden', () => {
    throw new HTTPException(403);
  });
  return app;
}

function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  if (found.length !== 1) throw new Error(`expected one span named ${name}, got: ${spans.map((s) => s.name).join(', ')}`);
  return found[0];
}

async function metric(sdk: TestSdk, name: string): Promise<MetricData> {
  const all = (await sdk.metrics()).scopeMetrics.flatMap((scope) => scope.metrics);
  const found = all.find((m) => m.descriptor.name === name);
  if (found === undefined) throw new Error(`no metric ${name}; have ${all.map((m) => m.descriptor.name).join(', ')}`);
  return found;
}

describe('OpenTelemetryMiddleware with the OpenTelemetry SDK', () => {
  let sdk: TestSdk;
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  beforeEach(() => {
    sdk = startSdk();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await sdk.shutdown();
  });

  it('makes one SERVER span named by the method and the full route template, with the stable HTTP attributes', async () => {
    server = await serve(usersApp(sdk));
    const res = await within(fetch(`${server.url}/v1/users/42?page=2&sig=secret`, { headers: { 'user-agent': 'spec/1.0' } }), 5000, 'the request');
    expect(await res.json()).toEqual({ id: 42 });
    const [span] = await sdk.spans(1);
    expect(span.name).toBe('GET /v1/users/{id:int}');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.instrumentationScope.name).toBe('stackware');
    expect(span.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/v1/users/42',
      'url.query': 'page=2&sig=REDACTED',
      'url.scheme': 'http',
      'http.route': '/v1/users/{id:int}',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(server.url).port),
      'client.address': '127.0.0.1',
      'user_agent.original': 'spec/1.0',
      'network.protocol.version': '1.1',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.parentSpanContext).toBeUndefined();
  });

  it('names a request no route matched by its method alone, without http.route, status unset for the 404', async () => {
    server = await serve(usersApp(sdk));
    expect((await fetch(`${server.url}/nothing/here`)).status).toBe(404);
    const [span] = await sdk.spans(1);
    expect(span.name).toBe('GET');
    expect(span.attributes['http.route']).toBeUndefined();
    expect(span.attributes['http.response.status_code']).toBe(404);
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('reports a method outside the standard ones as _OTHER, keeping the original, and names the span HTTP', async () => {
    server = await serve(usersApp(sdk));
    const res = await rawRequest(server.url, { method: 'PURGE', path: '/v1/users/1' });
    res.resume();
    const [span] = await sdk.spans(1);
    expect(span.name).toBe('HTTP');
    expect(span.attributes['http.request.method']).toBe('_OTHER');
    expect(span.attributes['http.request.method_original']).toBe('PURGE');
  });

  it('continues the trace of an incoming traceparent and keeps its tracestate', async () => {
    server = await serve(usersApp(sdk));
    await fetch(`${server.url}/v1/users/1`, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=value' },
    });
    const [span] = await sdk.spans(1);
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(span.parentSpanContext?.isRemote).toBe(true);
    expect(span.spanContext().traceState?.serialize()).toBe('vendor=value');
  });

  it('is the parent of spans made in inner middleware, the endpoint, its streaming body, dependency exit code and background tasks', async () => {
    const app = new Application();
    app.middleware('http')((request, callNext) => {
      userSpan('inner middleware', () => undefined);
      return callNext(request);
    });
    app.addMiddleware(OpenTelemetryMiddleware);
    async function* database(): AsyncGenerator<string> {
      yield 'connection';
      userSpan('dependency exit', () => undefined);
    }
    app.get('/report', async (request) => {
      await request.depends(database);
      userSpan('endpoint', () => undefined);
      request.backgroundTasks.addTask(async () => {
        await sleep(5);
        userSpan('request background task', () => undefined);
      });
      async function* body(): AsyncGenerator<string> {
        await sleep(5);
        userSpan('streaming body', () => undefined);
        yield 'done';
      }
      return new StreamingResponse(body(), { background: new BackgroundTasks([() => userSpan('response background task', () => undefined)]) });
    });
    server = await serve(app);
    expect(await (await fetch(`${server.url}/report`)).text()).toBe('done');
    const spans = await sdk.spans(7);
    const request = only(spans, 'GET /report');
    for (const name of ['inner middleware', 'endpoint', 'streaming body', 'request background task', 'response background task', 'dependency exit']) {
      const child = only(spans, name);
      expect({ name, traceId: child.spanContext().traceId, parent: child.parentSpanContext?.spanId }).toEqual({
        name,
        traceId: request.spanContext().traceId,
        parent: request.spanContext().spanId,
      });
    }
  });

  it('sets status ERROR and records the exception when the endpoint throws; error.type is its class', async () => {
    server = await serve(usersApp(sdk));
    expect((await fetch(`${server.url}/boom`)).status).toBe(500);
    const [span] = await sdk.spans(1);
    expect(span.name).toBe('GET /boom');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'the endpoint broke' });
    expect(span.attributes['error.type']).toBe('TypeError');
    expect(span.attributes['http.response.status_code']).toBe(500);
    expect(span.events.map((event) => [event.name, event.attributes?.['exception.message']])).toEqual([['exception', 'the endpoint broke']]);
  });

  it('sets status ERROR for a 5xx answer, with the status as error.type, and leaves a 4xx unset', async () => {
    server = await serve(usersApp(sdk));
    expect((await fetch(`${server.url}/unavailable`)).status).toBe(503);
    expect((await fetch(`${server.url}/forbidden`)).status).toBe(403);
    const spans = await sdk.spans(2);
    const unavailable = only(spans, 'GET /unavailable');
    expect(unavailable.status.code).toBe(SpanStatusCode.ERROR);
    expect(unavailable.attributes['error.type']).toBe('503');
    const forbidden = only(spans, 'GET /forbidden');
    expect(forbidden.status.code).toBe(SpanStatusCode.UNSET);
    expect(forbidden.attributes['error.type']).toBeUndefined();
    expect(forbidden.events).toEqual([]);
  });

  it('ends the span when the response has finished: a 600 ms stream is a span of at least 600 ms', async () => {
    const app = new Application();
    app.addMiddleware(OpenTelemetryMiddleware);
    app.get('/stream', () => {
      async function* slow(): AsyncGenerator<string> {
        for (let i = 0; i < 3; i++) {
          await sleep(200);
          yield `part ${i}\n`;
        }
      }
      return new StreamingResponse(slow());
    });
    server = await serve(app);
    const started = performance.now();
    const res = await fetch(`${server.url}/stream`);
    const headersAfter = performance.now() - started;
    await res.text();
    const [span] = await sdk.spans(1);
    expect(headersAfter).toBeLessThan(600); // the headers came first, so the span did not end with them
    expect(hrTimeToMilliseconds(span.duration)).toBeGreaterThanOrEqual(600);
  });

  it('ends the span when the client goes away in the middle of an endless stream', async () => {
    const app = new Application();
    app.addMiddleware(OpenTelemetryMiddleware);
    app.get('/endless', () => new StreamingResponse((async function* () {
      for (;;) {
        yield 'tick\n';
        await sleep(20);
      }
    })()));
    server = await serve(app);
    const controller = new AbortController();
    const res = await fetch(`${server.url}/endless`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    await sleep(200);
    controller.abort();
    const [span] = await sdk.spans(1);
    expect(span.name).toBe('GET /endless');
    expect(hrTimeToMilliseconds(span.duration)).toBeGreaterThanOrEqual(200);
    expect(span.attributes['http.response.status_code']).toBe(200);
  });

  it('takes client.address from the proxy-aware request.client, whichever middleware is outermost', async () => {
    const app = new Application();
    app.addMiddleware(ProxyHeadersMiddleware, { trustedHosts: ['127.0.0.1'] });
    app.addMiddleware(OpenTelemetryMiddleware); // outermost: the proxy headers are read after the span started
    app.get('/', () => 'ok');
    server = await serve(app);
    await fetch(server.url, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' } });
    const [span] = await sdk.spans(1);
    expect(span.attributes['client.address']).toBe('203.0.113.7');
    expect(span.attributes['url.scheme']).toBe('https');
  });

  it('makes one span when an application and an application mounted in it both add the middleware', async () => {
    const inner = new Application();
    inner.addMiddleware(OpenTelemetryMiddleware);
    inner.get('/items/{id:int}', () => 'item');
    const app = new Application();
    app.addMiddleware(OpenTelemetryMiddleware);
    app.mount('/shop', inner);
    server = await serve(app);
    await (await fetch(`${server.url}/shop/items/1`)).text();
    await sleep(50);
    expect((await sdk.spans(1)).map((span) => span.name)).toEqual(['GET /shop/items/{id:int}']);
  });

  it('uses the tracerProvider option instead of the global one', async () => {
    const other = startSdk();
    try {
      const app = new Application();
      app.addMiddleware(OpenTelemetryMiddleware, { tracerProvider: other.tracerProvider });
      app.get('/', () => 'ok');
      server = await serve(app);
      await fetch(server.url);
      expect((await other.spans(1)).map((span) => span.name)).toEqual(['GET /']);
    } finally {
      await other.tracerProvider.shutdown();
    }
  });

  it('neither traces nor measures skipPaths', async () => {
    const app = usersApp(sdk, { skipPaths: ['/health'] });
    app.get('/health', () => 'ok');
    server = await serve(app);
    await (await fetch(`${server.url}/health`)).text();
    await (await fetch(`${server.url}/v1/users/1`)).text();
    expect((await sdk.spans(1)).map((span) => span.name)).toEqual(['GET /v1/users/{id:int}']);
  });

  it('puts the trace and span ids in request.state, so request.log lines carry them', async () => {
    const app = new Application();
    app.addMiddleware(OpenTelemetryMiddleware);
    app.get('/', (request) => ({ traceId: request.state.traceId, spanId: request.state.spanId }));
    server = await serve(app);
    const ids = (await (await fetch(server.url)).json()) as { traceId: string; spanId: string };
    const [span] = await sdk.spans(1);
    expect(ids).toEqual({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
  });

  it('records http.server.request.duration in seconds with the semantic-convention buckets and bounded attributes', async () => {
    server = await serve(usersApp(sdk));
    for (const id of [1, 2, 3]) await (await fetch(`${server.url}/v1/users/${id}`)).text();
    await (await fetch(`${server.url}/random/${Math.random()}`)).text();
    await sdk.spans(4);
    const duration = (await metric(sdk, 'http.server.request.duration')) as HistogramMetricData;
    expect(duration.descriptor.unit).toBe('s');
    expect(duration.dataPointType).toBe(DataPointType.HISTOGRAM);
    const points = duration.dataPoints.map((point) => ({ attributes: point.attributes, count: point.value.count }));
    expect(points).toEqual([
      {
        attributes: { 'http.request.method': 'GET', 'url.scheme': 'http', 'network.protocol.version': '1.1', 'http.response.status_code': 200, 'http.route': '/v1/users/{id:int}' },
        count: 3,
      },
      { attributes: { 'http.request.method': 'GET', 'url.scheme': 'http', 'network.protocol.version': '1.1', 'http.response.status_code': 404 }, count: 1 },
    ]);
    expect(duration.dataPoints[0].value.buckets.boundaries).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
    expect(duration.dataPoints[0].value.sum).toBeLessThan(3); // seconds, not milliseconds
  });

  it('counts http.server.active_requests up while a response is streaming and back down once it finished', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const app = new Application();
    app.addMiddleware(OpenTelemetryMiddleware, { meterProvider: sdk.meterProvider });
    app.get('/hold', () => new StreamingResponse((async function* () {
      yield 'start ';
      await released;
      yield 'end';
    })()));
    server = await serve(app);
    const res = await fetch(`${server.url}/hold`);
    const active = async () => (await metric(sdk, 'http.server.active_requests')).dataPoints.map((p) => [p.attributes, p.value]);
    expect(await active()).toEqual([[{ 'http.request.method': 'GET', 'url.scheme': 'http' }, 1]]);
    release();
    await res.text();
    await sdk.spans(1);
    expect(await active()).toEqual([[{ 'http.request.method': 'GET', 'url.scheme': 'http' }, 0]]);
  });

  it('traces app.fetch too (the Fetch adapter fires the same response-finished hook)', async () => {
    const app = usersApp(sdk);
    const res = await app.fetch(new globalThis.Request('http://example.com:8080/v1/users/5'));
    expect(await res.json()).toEqual({ id: 5 });
    const [span] = await sdk.spans(1);
    expect(span.name).toBe('GET /v1/users/{id:int}');
    expect([span.attributes['server.address'], span.attributes['server.port']]).toEqual(['example.com', 8080]);
  });
});

describe('OpenTelemetryMiddleware without an SDK', () => {
  it('picks up an SDK registered after the application started serving', async () => {
    const app = new Application();
    app.addMiddleware(OpenTelemetryMiddleware);
    app.get('/', (request) => new PlainTextResponse(String(request.state.traceId)));
    expect(await (await app.fetch(new globalThis.Request('http://localhost/'))).text()).toBe('undefined');
    const sdk = startSdk();
    try {
      const traceId = await (await app.fetch(new globalThis.Request('http://localhost/'))).text();
      const [span] = await sdk.spans(1);
      expect(traceId).toBe(span.spanContext().traceId);
    } finally {
      await sdk.shutdown();
    }
  });

  it('only calls the next layer: no span, no trace id in request.state', async () => {
    expect(trace.getTracerProvider().getTracer('x').startSpan('probe').isRecording()).toBe(false);
    const app = new Application();
    app.addMiddleware(OpenTelemetryMiddleware);
    app.get('/', (request) => new PlainTextResponse(String(request.state.traceId)));
    const res = await app.fetch(new globalThis.Request('http://localhost/'));
    expect(await res.text()).toBe('undefined');
  });
});

describe('OpenTelemetryMiddleware options', () => {
  it.each([
    [{ skipPaths: '/health' }, 'skipPaths must be an array of paths'],
    [{ tracerProvider: {} }, 'tracerProvider must be a TracerProvider'],
    [{ meterProvider: { getTracer: () => undefined } }, 'meterProvider must be a MeterProvider'],
  ])('refuses %j when the stack is built', async (options, message) => {
    const app = new Application();
    app.addMiddleware(OpenTelemetryMiddleware, options as never);
    app.get('/', () => 'ok');
    expect(() => app.callback()).toThrow(message);
  });
});
