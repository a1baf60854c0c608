import { request } from 'node:http';
import { createServer } from 'node:net';
import { stackware, type Running } from './run';

/** GET on a new connection from `localAddress`; resolves with the status and body. */
function get(url: string, headers: Record<string, string> = {}, localAddress = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers, localAddress }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.end();
  });
}

const APP = 'spec/fixtures/serving-app.ts';
const READY = /serving \S+ on (http:\/\/127\.0\.0\.1:\d+) \(pid \d+\)/;

describe('stackware serve: access log, proxy headers, limits, shutdown', () => {
  let running: Running | undefined;
  afterEach(() => running?.kill());

  it("writes uvicorn's access line per request, after the last byte: a 600 ms stream logs its whole duration", async () => {
    running = stackware(['serve', APP, '--port', '0']);
    const [, url] = await running.waitFor(READY);
    await get(`${url}/items/7?q=1`);
    const [line] = await running.waitFor(/INFO: {5}127\.0\.0\.1:\d+ - "GET \/items\/7\?q=1 HTTP\/1\.1" 200 OK [\d.]+ms/);
    expect(line).toBeDefined();
    await get(`${url}/stream`);
    const [, ms] = await running.waitFor(/"GET \/stream HTTP\/1\.1" 200 OK ([\d.]+)ms/);
    expect(Number(ms)).toBeGreaterThanOrEqual(550);
  }, 30_000);

  it('writes one JSON object per line with --access-log-format json: route template, bytes, request id', async () => {
    running = stackware(['serve', APP, '--port', '0', '--access-log-format', 'json']);
    const [, url] = await running.waitFor(READY);
    await get(`${url}/items/42`, { 'x-request-id': 'req-abc-123' });
    const [line] = await running.waitFor(/\{"time".*"path":"\/items\/42".*\}/);
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toEqual(
      expect.objectContaining({ method: 'GET', path: '/items/42', route: '/items/{id:int}', status: 200, bytes: 9, completed: true, request_id: 'req-abc-123' }),
    );
    expect(entry.client).toMatch(/^127\.0\.0\.1:\d+$/);
  }, 30_000);

  it('logs nothing with --no-access-log', async () => {
    running = stackware(['serve', APP, '--port', '0', '--no-access-log']);
    const [, url] = await running.waitFor(READY);
    expect((await get(`${url}/items/1`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(running.output()).not.toMatch(/GET \/items/);
  }, 30_000);

  it('with --proxy-headers, logs and serves the client the trusted proxy names; an untrusted peer cannot', async () => {
    running = stackware(['serve', APP, '--port', '0', '--proxy-headers', '--forwarded-allow-ips', '127.0.0.1']);
    const [, url] = await running.waitFor(READY);
    await get(`${url}/items/1`, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' });
    await running.waitFor(/INFO: {5}203\.0\.113\.9:0 - "GET \/items\/1 HTTP\/1\.1" 200/);
    await get(`${url}/items/2`, { 'x-forwarded-for': '198.51.100.7' }, '127.0.0.2');
    await running.waitFor(/INFO: {5}127\.0\.0\.2:\d+ - "GET \/items\/2 HTTP\/1\.1" 200/);
    expect(running.output()).not.toContain('198.51.100.7');
  }, 30_000);

  it('answers 503 at once past --limit-concurrency requests in flight', async () => {
    running = stackware(['serve', APP, '--port', '0', '--limit-concurrency', '1', '--no-access-log']);
    const [, url] = await running.waitFor(READY);
    const held = get(`${url}/hold`);
    await running.waitFor(/hold started/);
    const started = Date.now();
    const refused = await get(`${url}/items/1`);
    expect(refused.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);
    running.child.kill('SIGKILL');
    await held.catch(() => undefined);
  }, 30_000);

  it('says "Port N is already in use" once, with no stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      running = stackware(['serve', APP, '--port', String(port)]);
      expect(await running.exited()).toBe(1);
      expect(running.output().trim()).toBe(`stackware: Port ${port} is already in use`);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('answers an unknown option in one line: Unknown option --relaod. Run stackware --help', async () => {
    running = stackware(['serve', APP, '--relaod']);
    expect(await running.exited()).toBe(2);
    expect(running.output().trim()).toBe('stackware: Unknown option --relaod. Run stackware --help');
  }, 30_000);

  it('says what the shutdown does, how many requests the graceful timeout cut off, and forces on a second signal', async () => {
    // The fixture's shutdownTimeout is 1 s, which applies since --graceful-timeout is not given.
    running = stackware(['serve', APP, '--port', '0', '--no-access-log']);
    const [, url] = await running.waitFor(READY);
    const held = get(`${url}/hold`).catch((error: unknown) => error);
    await running.waitFor(/hold started/);
    running.child.kill('SIGTERM');
    await running.waitFor(/shutting down\n.*waiting for connections to close \(CTRL\+C to force quit\)/);
    await running.waitFor(/the graceful timeout ended 1 request still in flight/, 5000);
    await running.waitFor(/finished server process \[\d+\]/, 5000);
    expect(await running.exited()).toBe(0);
    await held;

    running = stackware(['serve', APP, '--port', '0', '--no-access-log', '--graceful-timeout', '30']);
    const [, url2] = await running.waitFor(READY);
    const held2 = get(`${url2}/hold`).catch((error: unknown) => error);
    await running.waitFor(/hold started/);
    running.child.kill('SIGINT');
    await running.waitFor(/shutting down/);
    running.child.kill('SIGINT');
    await running.waitFor(/forced to stop now \(second signal\)/);
    expect(await running.exited(5000)).toBe(1);
    await held2;
  }, 60_000);
});
