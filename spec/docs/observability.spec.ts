import { app, registry } from '../../docs/examples/observability/prometheus';
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
