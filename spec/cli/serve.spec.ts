import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackware, type Running } from './run';

/** GET on a new connection each time (so the cluster may hand it to any worker). */
function get(url: string): Promise<{ status: number; pid: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, pid: String(res.headers['x-pid']), body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('stackware serve', () => {
  let running: Running | undefined;
  afterEach(() => running?.kill());

  it('with --workers 2, serves one port from two processes and stops them all on SIGTERM', async () => {
    running = stackware(['serve', 'spec/fixtures/pid-app.ts', '--port', '0', '--workers', '2']);
    const [, url, pidList] = await running.waitFor(/serving spec\/fixtures\/pid-app\.ts on (http:\/\/127\.0\.0\.1:\d+) \(2 workers, pids (\d+, \d+)\)/);
    const workers = pidList.split(', ');
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const res = await get(`${url}/`);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ message: 'Hello World' });
      seen.add(res.pid);
    }
    expect([...seen].sort()).toEqual([...workers].sort());
    expect(workers).not.toContain(String(running.child.pid));
    running.child.kill('SIGTERM');
    expect(await running.exited()).toBe(0);
    expect(running.output()).toMatch(/stackware: stopped\n$/);
    for (const pid of workers) expect(() => process.kill(Number(pid), 0)).toThrow();
  }, 60_000);

  it('replaces a worker that dies after it started', async () => {
    running = stackware(['serve', 'spec/fixtures/pid-app.ts', '--port', '0', '--workers', '2']);
    const [, url, pidList] = await running.waitFor(/on (http:\/\/127\.0\.0\.1:\d+) \(2 workers, pids (\d+, \d+)\)/);
    const crashed = JSON.parse((await get(`${url}/crash`)).body).crashing as number;
    const [, dead] = await running.waitFor(/worker (\d+) died \(exit code 3\); starting another/);
    expect(Number(dead)).toBe(crashed);
    const [, replacement] = await running.waitFor(/worker (\d+) started/);
    const survivor = pidList.split(', ').find((pid) => pid !== String(crashed));
    const seen = new Set<string>();
    for (let i = 0; i < 60 && seen.size < 2; i++) {
      const res = await get(`${url}/`);
      if (res.status === 200) seen.add(res.pid);
    }
    expect([...seen].sort()).toEqual([survivor, replacement].sort());
    running.child.kill('SIGTERM');
    expect(await running.exited()).toBe(0);
  }, 60_000);

  it('lets a request in flight finish on SIGINT, then exits', async () => {
    running = stackware(['serve', 'spec/fixtures/pid-app.ts', '--port', '0']);
    const [, url] = await running.waitFor(/serving \S+ on (http:\/\/127\.0\.0\.1:\d+) \(pid \d+\)/);
    const slow = get(`${url}/slow`);
    await running.waitFor(/slow request started/);
    running.child.kill('SIGINT');
    const res = await slow;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ slow: true });
    expect(await running.exited()).toBe(0);
  }, 30_000);

  it('takes HOST and PORT from the environment and serves another export by name', async () => {
    running = stackware(['serve', 'spec/fixtures/pid-app.ts:other'], { HOST: '127.0.0.1', PORT: '0' });
    const [, url] = await running.waitFor(/on (http:\/\/127\.0\.0\.1:\d+)/);
    expect((await get(`${url}/`)).body).toBe('"other"');
    running.child.kill('SIGTERM');
    expect(await running.exited()).toBe(0);
  }, 30_000);

  it('exits 1 with one clear line when the export does not exist', async () => {
    running = stackware(['serve', 'spec/fixtures/pid-app.ts:nope', '--port', '0']);
    expect(await running.exited()).toBe(1);
    expect(running.output()).toMatch(/has no export named "nope" \(it exports: app, other\)/);
  }, 30_000);

  it('exits 1 when a worker cannot load the module', async () => {
    running = stackware(['serve', 'spec/fixtures/broken-app.ts', '--port', '0', '--workers', '2']);
    expect(await running.exited()).toBe(1);
    expect(running.output()).toMatch(/this module is broken on purpose/);
    expect(running.output()).toMatch(/a worker failed to start/);
  }, 30_000);

  it('with --timeout-send, stops a stream whose client reads nothing and closes its connection', async () => {
    running = stackware(['serve', 'spec/fixtures/endless-app.ts', '--port', '0', '--timeout-send', '1']);
    const [, port] = await running.waitFor(/on http:\/\/127\.0\.0\.1:(\d+)/);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /endless HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause(); // never reads
    try {
      await running.waitFor(/stream started/);
      await running.waitFor(/Send timeout: the client took no bytes for 1 s; closed the connection \(GET \/endless\)/, 10_000);
      await running.waitFor(/stream stopped/, 5000);
    } finally {
      socket.destroy();
    }
    running.child.kill('SIGTERM');
    expect(await running.exited()).toBe(0);
  }, 30_000);

  it('exits 2 with the usage on a bad command line', async () => {
    running = stackware(['serve', 'spec/fixtures/pid-app.ts', '--workers', 'many']);
    expect(await running.exited()).toBe(2);
    expect(running.output()).toMatch(/--workers must be an integer from 1 to 1024, got "many"/);
    expect(running.output()).toMatch(/Usage:/);
  }, 30_000);

  it('keeps serving when a replacement worker fails to start once after the cluster served: retried after a back-off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackware-flaky-'));
    const failures = join(dir, 'failures');
    try {
      running = stackware(['serve', 'spec/fixtures/flaky-app.ts', '--port', '0', '--workers', '2'], { FLAKY_FAILURES: failures });
      const [, url, pidList] = await running.waitFor(/on (http:\/\/127\.0\.0\.1:\d+) \(2 workers, pids (\d+, \d+)\)/);
      writeFileSync(failures, '1');
      const crashed = String(JSON.parse((await get(`${url}/crash`)).body).crashing);
      await running.waitFor(/worker \d+ died \(exit code 3\); starting another/);
      await running.waitFor(/a replacement worker failed to start \(exit code 1\); trying again in 1 s/);
      // The healthy worker answers while the replacement waits for its retry.
      const survivor = pidList.split(', ').find((pid) => pid !== crashed);
      const during = await get(`${url}/`);
      expect(during.status).toBe(200);
      expect(String(JSON.parse(during.body).pid)).toBe(survivor);
      const [, replacement] = await running.waitFor(/worker (\d+) started/, 10_000);
      expect(replacement).not.toBe(crashed);
      expect(running.child.exitCode).toBeNull();
      running.child.kill('SIGTERM');
      expect(await running.exited()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('still stops when a worker fails to start before the cluster ever served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackware-flaky-'));
    const failures = join(dir, 'failures');
    writeFileSync(failures, '1');
    try {
      running = stackware(['serve', 'spec/fixtures/flaky-app.ts', '--port', '0', '--workers', '2'], { FLAKY_FAILURES: failures });
      await running.waitFor(/a worker failed to start \(exit code 1\); stopping/);
      expect(await running.exited()).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it.each([[[] as string[]], [['--workers', '2']]])('logs a lifespan shutdown that throws and exits non-zero (%j)', async (extra) => {
    running = stackware(['serve', 'spec/fixtures/failing-shutdown-app.ts', '--port', '0', ...extra]);
    await running.waitFor(/serving \S+ on http/);
    running.child.kill('SIGTERM');
    expect(await running.exited()).toBe(1);
    expect(running.output()).toMatch(/the shutdown failed: Error: could not flush the queue/);
  }, 60_000);
});
