import { request } from 'node:http';
import { describeWith } from '../helpers';
import { REDIS_MISSING, redisAvailable, startRedis, type RedisServer } from '../redis-server';
import { stackware, type Running } from './run';

/** GET on a new connection each time, so the cluster may hand it to either worker. */
function get(url: string, cookie?: string): Promise<{ status: number; body: string; cookie?: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false, headers: cookie === undefined ? {} : { cookie } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] }));
    })
      .on('error', reject)
      .end();
  });
}

async function serveWorkers(env: NodeJS.ProcessEnv): Promise<{ running: Running; url: string }> {
  const running = stackware(['serve', 'spec/fixtures/stores-app.ts', '--port', '0', '--workers', '2'], env);
  const [, url] = await running.waitFor(/on (http:\/\/127\.0\.0\.1:\d+) \(2 workers/);
  return { running, url: url! };
}

/** 2 × limit concurrent requests; returns the statuses and the worker pids that answered 200. */
async function burst(url: string, count: number): Promise<{ ok: number; limited: number; pids: Set<number> }> {
  const answers = await Promise.all(Array.from({ length: count }, () => get(`${url}/limited`)));
  const pids = new Set(answers.filter((a) => a.status === 200).map((a) => (JSON.parse(a.body) as { pid: number }).pid));
  return { ok: answers.filter((a) => a.status === 200).length, limited: answers.filter((a) => a.status === 429).length, pids };
}

describeWith(redisAvailable, REDIS_MISSING)('stackware serve --workers 2 with stores (real redis-server, real child process)', () => {
  let redis: RedisServer;
  let running: Running | undefined;
  beforeAll(async () => (redis = await startRedis()));
  afterAll(async () => redis?.dispose());
  afterEach(() => running?.kill());

  it('RedisStore: 2 × limit concurrent requests over many connections → exactly limit succeed, across both workers', async () => {
    const served = await serveWorkers({ STORE: 'redis', REDIS_SOCKET: redis.socket });
    running = served.running;
    const { ok, limited } = await burst(served.url, 20);
    expect(ok).toBe(10);
    expect(limited).toBe(10);
  }, 60_000);

  it('RedisStore: a session written through one worker is read through the other', async () => {
    const served = await serveWorkers({ STORE: 'redis', REDIS_SOCKET: redis.socket });
    running = served.running;
    const written = await get(`${served.url}/session/write`);
    const writer = (JSON.parse(written.body) as { pid: number }).pid;
    let other: { pid: number; writer: number | null } | undefined;
    for (let i = 0; i < 40 && other === undefined; i++) {
      const read = JSON.parse((await get(`${served.url}/session/read`, written.cookie)).body) as { pid: number; writer: number | null };
      if (read.pid !== writer) other = read;
    }
    expect(other).toBeDefined();
    expect(other!.writer).toBe(writer);
  }, 60_000);

  it('MemoryStore (documented as per process): each worker counts on its own, so more than limit get through', async () => {
    const served = await serveWorkers({ STORE: 'memory' });
    running = served.running;
    const { ok, pids } = await burst(served.url, 40);
    expect(pids.size).toBe(2);
    expect(ok).toBeGreaterThan(10);
    expect(ok).toBeLessThanOrEqual(20);
  }, 60_000);
});
