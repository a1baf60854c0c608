import { Registry } from 'prom-client';
import { Application, Middleware, PrometheusMiddleware, StreamingResponse, metricsEndpoint, methodLabel } from 'stackware';
import { serve, within } from '../helpers';

interface ParsedFamily {
  name: string;
  type: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }>;
}
// The package ships no types; its output shape is the one above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheusText = require('parse-prometheus-text-format') as (text: string) => ParsedFamily[];

function family(families: ParsedFamily[], name: string): ParsedFamily {
  const found = families.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no metric family ${name} in the scrape`);
  return found;
}

function makeApp(options: ConstructorParameters<typeof PrometheusMiddleware>[1] = {}): { app: Application; registry: Registry } {
  const registry = new Registry();
  const app = new Application();
  app.addMiddleware(PrometheusMiddleware, { registry, skipPaths: ['/metrics'], ...options });
  app.get('/users/{id:int}', (request) => ({ id: request.pathParams.id }));
  app.get('/slow-stream', () => {
    async function* rows() {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        yield `row ${i}\n`;
      }
    }
    return new StreamingResponse(rows());
  });
  app.get('/metrics', metricsEndpoint(registry));
  return { app, registry };
}

async function scrape(url: string): Promise<ParsedFamily[]> {
  const response = await within(fetch(`${url}/metrics`), 5000, 'the scrape');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusText(await response.text());
}

describe('PrometheusMiddleware', () => {
  it('counts requests by method, route template and status, never by the raw path', async () => {
    const { app } = makeApp();
    const server = await serve(app);
    try {
      for (const id of [1, 2, 3]) expect((await fetch(`${server.url}/users/${id}`)).status).toBe(200);
      expect((await fetch(`${server.url}/users/not-a-number`)).status).toBe(404);
      const families = await scrape(server.url);
      const total = family(families, 'http_requests_total');
      expect(total.type).toBe('COUNTER');
      const series: Array<Record<string, string | number>> = total.metrics.map((m) => ({ ...m.labels, value: Number(m.value) }));
      expect(series).toEqual(
        expect.arrayContaining([
          { method: 'GET', route: '/users/{id:int}', status: '200', value: 3 },
          { method: 'GET', route: '__unmatched__', status: '404', value: 1 },
        ]),
      );
      expect(series).toHaveLength(2);
      // skipPaths: the scrape itself is not counted.
      expect(series.some((s) => s.route === '/metrics')).toBe(false);
      const inProgress = family(families, 'http_requests_in_progress');
      expect(inProgress.metrics.map((m) => ({ ...m.labels, value: Number(m.value) }))).toEqual(
        expect.arrayContaining([
          { method: 'GET', route: '/users/{id:int}', value: 0 },
          { method: 'GET', route: '__unmatched__', value: 0 },
        ]),
      );
      expect(inProgress.metrics).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('labels http_requests_in_progress by the route template routing will choose, mounts included, while the response streams', async () => {
    const registry = new Registry();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const api = new Application();
    api.get('/reports/{year:int}', () => new StreamingResponse((async function* () {
      yield 'start ';
      await released;
      yield 'end';
    })()));
    const app = new Application();
    app.addMiddleware(PrometheusMiddleware, { registry });
    app.mount('/api/{version}', api);
    const server = await serve(app);
    try {
      const held = await fetch(`${server.url}/api/v2/reports/2025`);
      const gauge = async () =>
        family(parsePrometheusText(await registry.metrics()), 'http_requests_in_progress').metrics.map((m) => ({ ...m.labels, value: Number(m.value) }));
      expect(await gauge()).toEqual([{ method: 'GET', route: '/api/{version}/reports/{year:int}', value: 1 }]);
      release();
      expect(await held.text()).toBe('start end');
      await within(
        (async () => {
          while ((await gauge())[0]?.value !== 0) await new Promise((resolve) => setTimeout(resolve, 10));
        })(),
        3000,
        'the gauge to go back to 0',
      );
      const total = family(parsePrometheusText(await registry.metrics()), 'http_requests_total');
      expect(total.metrics).toEqual([{ labels: { method: 'GET', route: '/api/{version}/reports/{year:int}', status: '200' }, value: '1' }]);
    } finally {
      release();
      await server.close();
    }
  });

  it.each([
    ['a route\'s', false],
    ['a mount\'s', true],
  ])('in %s own middleware, labels http_requests_in_progress by the route routing chooses', async (_, inMount) => {
    const registry = new Registry();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const jobs = new Application();
    const own = [new Middleware(PrometheusMiddleware, { registry })];
    jobs.get('/jobs/{id:int}', () => new StreamingResponse((async function* () {
      yield 'running ';
      await released;
      yield 'done';
    })()), inMount ? {} : { middleware: own });
    const app = new Application();
    app.mount('/api', jobs, inMount ? { middleware: own } : {});
    const server = await serve(app);
    try {
      const held = await fetch(`${server.url}/api/jobs/3`);
      const gauge = family(parsePrometheusText(await registry.metrics()), 'http_requests_in_progress');
      expect(gauge.metrics).toEqual([{ labels: { method: 'GET', route: '/api/jobs/{id:int}' }, value: '1' }]);
      release();
      expect(await held.text()).toBe('running done');
    } finally {
      release();
      await server.close();
    }
  });

  it('keeps cardinality bounded: 1,000 requests to random unmatched paths add one series', async () => {
    const { app } = makeApp();
    const server = await serve(app);
    try {
      const paths = Array.from({ length: 1000 }, (_, i) => `/scan/${i}-${Math.random().toString(36).slice(2)}`);
      for (let i = 0; i < paths.length; i += 50) {
        await Promise.all(paths.slice(i, i + 50).map(async (path) => (await fetch(`${server.url}${path}`)).arrayBuffer()));
      }
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).not.toContain('/scan/');
      const total = family(parsePrometheusText(text), 'http_requests_total');
      expect(total.metrics).toHaveLength(1);
      expect(total.metrics[0]).toEqual({ labels: { method: 'GET', route: '__unmatched__', status: '404' }, value: '1000' });
      const durationSeries = text.split('\n').filter((line) => line.startsWith('http_request_duration_seconds_count'));
      expect(durationSeries).toHaveLength(1);
      // The in-progress gauge is labelled before routing, and just as bounded.
      expect(family(parsePrometheusText(text), 'http_requests_in_progress').metrics).toEqual([{ labels: { method: 'GET', route: '__unmatched__' }, value: '0' }]);
    } finally {
      await server.close();
    }
  });

  it('labels unmatched requests by raw path only when opted in', async () => {
    const { app, registry } = makeApp({ rawUnmatchedPaths: true });
    const server = await serve(app);
    try {
      await (await fetch(`${server.url}/nope`)).arrayBuffer();
      const total = family(parsePrometheusText(await registry.metrics()), 'http_requests_total');
      expect(total.metrics).toEqual([{ labels: { method: 'GET', route: '/nope', status: '404' }, value: '1' }]);
    } finally {
      await server.close();
    }
  });

  it('times a streaming response to its last byte, not to its headers, in the given buckets', async () => {
    const { app, registry } = makeApp({ buckets: [0.1, 0.25, 1] });
    const server = await serve(app);
    try {
      const response = await fetch(`${server.url}/slow-stream`);
      expect(await response.text()).toBe('row 0\nrow 1\nrow 2\n');
      const text = await registry.metrics();
      const sum = /^http_request_duration_seconds_sum\{method="GET",route="\/slow-stream",status="200"\} (\S+)$/m.exec(text);
      expect(sum).not.toBeNull();
      expect(Number(sum![1])).toBeGreaterThanOrEqual(0.29);
      const hist = family(parsePrometheusText(text), 'http_request_duration_seconds');
      expect(hist.type).toBe('HISTOGRAM');
      expect(Object.keys(hist.metrics[0].buckets ?? {}).sort()).toEqual(['+Inf', '0.1', '0.25', '1']);
      // Below 0.25 s: empty; the stream took about 0.3 s.
      expect(hist.metrics[0].buckets).toEqual({ '0.1': '0', '0.25': '0', '1': '1', '+Inf': '1' });
    } finally {
      await server.close();
    }
  });

  it('records request and response sizes when asked', async () => {
    const { app, registry } = makeApp({ sizeHistograms: true, prefix: 'shop_' });
    const server = await serve(app);
    try {
      await (await fetch(`${server.url}/users/7`)).arrayBuffer();
      const text = await registry.metrics();
      expect(text).toMatch(/^shop_http_response_size_bytes_sum\{method="GET",route="\/users\/\{id:int\}",status="200"\} 8$/m);
      expect(text).toMatch(/^shop_http_request_size_bytes_count\{.*\} 1$/m);
      expect(text).toMatch(/^shop_http_requests_total\{/m);
    } finally {
      await server.close();
    }
  });

  it('two middleware on one registry share the metrics instead of failing to register them twice', async () => {
    const registry = new Registry();
    const app = new Application();
    app.addMiddleware(PrometheusMiddleware, { registry });
    app.addMiddleware(PrometheusMiddleware, { registry });
    app.get('/', () => 'ok');
    const server = await serve(app);
    try {
      expect((await fetch(server.url)).status).toBe(200);
      expect(await registry.metrics()).toMatch(/^http_requests_total\{method="GET",route="\/",status="200"\} 2$/m);
    } finally {
      await server.close();
    }
  });

  it('groups unknown methods under _OTHER', () => {
    expect(methodLabel('GET')).toBe('GET');
    expect(methodLabel('BREW')).toBe('_OTHER');
  });
});
