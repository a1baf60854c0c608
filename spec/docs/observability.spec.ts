import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { app as logged, lines } from '../../docs/examples/observability/logging';
import { app, registry } from '../../docs/examples/observability/prometheus';
import { createApp } from '../../docs/examples/observability/logging-pino';
import { startSdk, type TestSdk } from '../opentelemetry/sdk';
import { serve, within } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheusText = require('parse-prometheus-text-format') as (
  text: string,
) => Array<{ name: string; metrics: Array<{ labels?: Record<string, string>; value?: string }> }>;

describe('docs/observability.md', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(app);
  });
  afterAll(() => server.close());

  it('prometheus: /metrics shows the HTTP metrics by route template, the stream timed to its end, and Node\'s own metrics', async () => {
    await (await fetch(`${server.url}/users/42`)).json();
    expect(await (await fetch(`${server.url}/export`)).text()).toBe('row 0\nrow 1\nrow 2\n');
    await (await fetch(`${server.url}/wp-login.php`)).arrayBuffer();
    const text = await (await within(fetch(`${server.url}/metrics`), 5000, 'the scrape')).text();
    const families = parsePrometheusText(text);
    const total = families.find((f) => f.name === 'http_requests_total');
    expect(total?.metrics.map((m) => `${m.labels?.route} ${m.labels?.status} ${m.value}`).sort()).toEqual([
      '/export 200 1',
      '/users/{id:int} 200 1',
      '__unmatched__ 404 1',
    ]);
    const exportSum = /^http_request_duration_seconds_sum\{method="GET",route="\/export",status="200"\} (\S+)$/m.exec(text);
    expect(Number(exportSum?.[1])).toBeGreaterThanOrEqual(0.14);
    expect(families.some((f) => f.name === 'process_cpu_seconds_total')).toBe(true);
    expect(await registry.metrics()).toContain('http_requests_in_progress');
  });
});

describe('docs/observability.md: logging', () => {
  it('logging: one JSON line per call with the request id, method and route, also from the background task', async () => {
    const server = await serve(logged);
    try {
      const response = await fetch(`${server.url}/orders/9`, { method: 'POST', headers: { 'x-request-id': 'abc' } });
      expect(await response.json()).toEqual({ accepted: true });
      await within(
        (async () => {
          while (lines.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
        })(),
        3000,
        'two log lines',
      );
      expect(lines.map((line: string) => JSON.parse(line) as unknown)).toEqual([
        { level: 'info', message: 'order received', orderId: 9, requestId: 'abc', method: 'POST', route: '/orders/{id:int}' },
        { level: 'info', message: 'confirmation sent', requestId: 'abc', method: 'POST', route: '/orders/{id:int}' },
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('docs/observability.md: Grafana and Prometheus', () => {
  const root = join(__dirname, '..', '..');

  it('the prometheus.yml block is docs/examples/observability/prometheus.yml, scraping /metrics', () => {
    const doc = readFileSync(join(root, 'docs', 'observability.md'), 'utf8');
    const block = /```yaml\n# docs\/examples\/observability\/prometheus\.yml\n([\s\S]*?)```/.exec(doc);
    const file = readFileSync(join(root, 'docs', 'examples', 'observability', 'prometheus.yml'), 'utf8');
    expect(block?.[1].trimEnd()).toBe(file.trimEnd());
    expect(file).toContain('metrics_path: /metrics');
  });

  it('every metric and label the Grafana dashboard queries is in a real scrape of the example application', async () => {
    const dashboard = JSON.parse(readFileSync(join(root, 'docs', 'examples', 'observability', 'grafana-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const server = await serve(app);
    try {
      await (await fetch(`${server.url}/users/1`)).json();
      const text = await (await fetch(`${server.url}/metrics`)).text();
      // The label names of each sample line, by metric name (the text parser drops histogram labels).
      const labelsOf = (name: string): Set<string> | undefined => {
        const lines = text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
        return lines.length === 0 ? undefined : new Set(lines.flatMap((line) => [...line.matchAll(/[{,](\w+)="/g)].map((m) => m[1])));
      };
      const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
      expect(exprs).toHaveLength(4);
      for (const expr of exprs) {
        const used = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap(([, by]) => by.split(',').map((l) => l.trim()));
        used.push(...[...expr.matchAll(/\{(\w+)=~?"/g)].map(([, label]) => label));
        for (const [, name] of expr.matchAll(/\b(http_[a-z_]+)/g)) {
          const labels = labelsOf(name);
          expect({ expr, name, found: labels !== undefined }).toEqual({ expr, name, found: true });
          for (const label of used) expect({ expr, label, found: labels?.has(label) }).toEqual({ expr, label, found: true });
        }
      }
    } finally {
      await server.close();
    }
  });
});

describe('docs/observability.md: logging with pino', () => {
  let sdk: TestSdk | undefined;
  afterEach(async () => {
    await sdk?.shutdown();
    sdk = undefined;
  });

  it('logging-pino: one JSON line per call with requestId, traceId, spanId and route, also from the background task', async () => {
    sdk = startSdk();
    const written: string[] = [];
    const server = await serve(createApp({ write: (chunk: string) => void written.push(chunk) }));
    try {
      await (await fetch(`${server.url}/orders/9`, { method: 'POST', headers: { 'x-request-id': 'abc' } })).json();
      await within(
        (async () => {
          while (written.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
        })(),
        3000,
        'two pino lines',
      );
      const [span] = await sdk.spans(1);
      const { traceId, spanId } = span.spanContext();
      const lines = written.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map(({ msg, requestId, traceId, spanId, route }) => ({ msg, requestId, traceId, spanId, route }))).toEqual([
        { msg: 'order received', requestId: 'abc', traceId, spanId, route: '/orders/{id:int}' },
        { msg: 'confirmation sent', requestId: 'abc', traceId, spanId, route: '/orders/{id:int}' },
      ]);
      expect(lines[0].orderId).toBe(9);
    } finally {
      await server.close();
    }
  });
});
