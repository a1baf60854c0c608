import { request } from 'node:http';
import { stackware, type Running } from './run';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheusText = require('parse-prometheus-text-format') as (
  text: string,
) => Array<{ name: string; metrics: Array<{ labels?: Record<string, string>; value?: string }> }>;

/** GET on a new connection each time, so the cluster may hand it to either worker. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('stackware serve --workers 2 with PrometheusMiddleware', () => {
  let running: Running | undefined;
  afterEach(() => running?.kill());

  it('every scrape, whichever worker takes it, reports the requests of all workers', async () => {
    running = stackware(['serve', 'spec/fixtures/metrics-app.ts', '--port', '0', '--workers', '2']);
    const [, url] = await running.waitFor(/on (http:\/\/127\.0\.0\.1:\d+) \(2 workers, pids (\d+, \d+)\)/);
    const N = 40;
    const pids = new Set<number>();
    for (let i = 0; i < N; i++) {
      const res = await get(`${url}/items/${i}`);
      expect(res.status).toBe(200);
      pids.add((JSON.parse(res.body) as { pid: number }).pid);
    }
    expect(pids.size).toBe(2); // both workers answered some, so one worker's registry alone is not N
    for (let scrape = 0; scrape < 6; scrape++) {
      const res = await get(`${url}/metrics`);
      expect({ status: res.status, body: res.status === 200 ? '' : res.body }).toEqual({ status: 200, body: '' });
      const total = parsePrometheusText(res.body).find((f) => f.name === 'http_requests_total');
      expect(total?.metrics).toEqual([{ labels: { method: 'GET', route: '/items/{id:int}', status: '200' }, value: String(N) }]);
    }
    running.child.kill('SIGTERM');
    expect(await running.exited()).toBe(0);
  }, 60_000);
});
