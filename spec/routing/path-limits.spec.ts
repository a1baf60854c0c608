// Issue 20 point 3 (path-template ReDoS) and the int convertor of point 6: matching is linear in
// the URL's length whatever the templates, parameters are bounded by maxParamLength, and an int
// path parameter is always an exact number.
import request from 'supertest';
import { Application, compilePath, Router, Route, PlainTextResponse } from 'stackware';
import { fakeRequest, rawRequest, serve } from '../helpers';

/** A 15 KB string, flat (as the HTTP parser hands it over), not a rope of concatenations. */
const flat = (text: string): string => Buffer.from(text).toString();

function attackedApp(options: { maxParamLength?: number } = {}): Application {
  const app = new Application(options);
  app.get('/three/{a:path}/{b:path}/{c:path}/z', (r) => r.pathParams);
  app.get('/two/{a:path}/{b:path}', (r) => ({ a: (r.pathParams.a as string).length, b: r.pathParams.b }));
  app.get('/t/{a}-{b}-{c}x', (r) => r.pathParams);
  for (let i = 0; i < 100; i++) app.get(`/api/res${i}/{id:int}`, (r) => r.pathParams);
  app.get('/without', () => 'without');
  return app;
}

const ATTACKS: Record<string, string> = {
  'three path parameters': `/three/${'a/'.repeat(7_600)}`,
  'two path parameters': `/two/${'a/'.repeat(7_600)}x`,
  'three parameters in one segment': `/t/${'a-'.repeat(7_600)}`,
  'a run of trailing slashes': `/x${'/'.repeat(15_000)}`,
  'one long segment': `/${'a'.repeat(15_000)}`,
  'a long int parameter': `/api/res5/${'1'.repeat(15_000)}`,
};

/** Fails naming `what` when `value` is not below `limit`. */
function expectBelow(what: string, value: number, limit: number): void {
  if (!(value < limit)) throw new Error(`${what}: ${value.toFixed(2)}, expected below ${limit}`);
}

/** CPU microseconds (not wall time: the machine is shared) of `run`. */
function cpuOf(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/** Median CPU microseconds per `app.handle` of `target`, over `rounds` batches of `batch`. */
async function costOf(app: Application, target: string, rounds = 9, batch = 50): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < batch; i++) await app.handle(fakeRequest({ target })).catch(() => undefined);
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / batch);
  }
  return samples.sort((a, b) => a - b)[rounds >> 1];
}

describe('path templates under attack (issue 20, point 3)', () => {
  it('answers every 15 KB attack URL over a real socket within 1 s (a 3 KB one took 6.95 s; the bound leaves room for a loaded machine)', async () => {
    const server = await serve(attackedApp());
    try {
      (await rawRequest(server.url, { path: '/api/res1/1' })).resume();
      for (const [what, path] of Object.entries(ATTACKS)) {
        const started = Date.now();
        const response = await rawRequest(server.url, { path });
        response.resume();
        expect([what, response.statusCode]).toEqual([what, what === 'two path parameters' ? 200 : 404]);
        expectBelow(what, Date.now() - started, 1000);
      }
    } finally {
      await server.close();
    }
  });

  it('costs a 15 KB URL that is a 404 at most a few times a short 404, on an ordinary route table', async () => {
    const app = attackedApp();
    const normal = flat('/api/res99/x');
    await costOf(app, normal);
    for (const what of ['a run of trailing slashes', 'one long segment', 'a long int parameter']) {
      const attack = flat(ATTACKS[what]);
      await costOf(app, attack);
      const [base, cost] = [await costOf(app, normal), await costOf(app, attack)];
      // In process, without the HTTP parsing every request pays, so stricter than over a socket.
      expectBelow(what, cost / base, 8);
    }
  });

  it('matches several path parameters in time linear in the URL (four times the URL, about four times the time)', () => {
    const compiled = compilePath('/three/{a:path}/{b:path}/{c:path}/z');
    const time = (path: string): number => {
      const samples: number[] = [];
      for (let r = 0; r < 9; r++) samples.push(cpuOf(() => { for (let i = 0; i < 50; i++) compiled.match(path, {}); }));
      return samples.sort((a, b) => a - b)[4];
    };
    const short = flat(`/three/${'a/'.repeat(1_900)}`);
    const long = flat(`/three/${'a/'.repeat(7_600)}`);
    time(short);
    time(long);
    // Quadratic would be 16 times; the cubic expression it replaced, 64 times.
    expectBelow('four times the URL', time(long) / time(short), 8);
  });

  it('gives the values the greedy expression gives when several path parameters share a path', () => {
    const params: Record<string, unknown> = {};
    expect(compilePath('/three/{a:path}/{b:path}/{c:path}/z').match('/three/1/2/3/4/5/z', params)).toBe(true);
    expect(params).toEqual({ a: '1/2/3', b: '4', c: '5' });
    const mixed: Record<string, unknown> = {};
    expect(compilePath('/{a:path}/{n:int}/{b:path}.txt').match('/x/1/y/2/z.txt', mixed)).toBe(true);
    expect(mixed).toEqual({ a: 'x/1/y', n: 2, b: 'z' });
  });

  it('redirects a path with a run of trailing slashes to the path without any', async () => {
    const res = await request(attackedApp().callback()).get('/without///').expect(307);
    expect(new URL(res.headers.location).pathname).toBe('/without');
  });
});

describe('maxParamLength (Fastify’s, default 100)', () => {
  it('does not match a parameter longer than the limit, so the request is a 404', async () => {
    const app = new Application();
    app.get('/items/{name}', (r) => r.pathParams);
    const client = request(app.callback());
    await client.get(`/items/${'n'.repeat(100)}`).expect(200, { name: 'n'.repeat(100) });
    await client.get(`/items/${'n'.repeat(101)}`).expect(404);
  });

  it('lets a later route take what the limit refused, and leaves path parameters unlimited', async () => {
    const app = new Application();
    app.get('/files/{name}', () => 'short');
    app.get('/files/{rest:path}', (r) => (r.pathParams.rest as string).length);
    await request(app.callback()).get(`/files/${'f'.repeat(5_000)}`).expect(200, '5000');
  });

  it('is an application option', async () => {
    const app = new Application({ maxParamLength: 1_000 });
    app.get('/items/{name}', (r) => (r.pathParams.name as string).length);
    const client = request(app.callback());
    await client.get(`/items/${'n'.repeat(1_000)}`).expect(200, '1000');
    await client.get(`/items/${'n'.repeat(1_001)}`).expect(404);
    const router = new Router([new Route('/{x}', () => new PlainTextResponse('ok'))], { maxParamLength: 3 });
    await expect(router.handle(fakeRequest({ target: '/abcd' }))).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('int convertor (issue 20, point 6)', () => {
  it('matches only values in the safe integer range, so the number is always exact', async () => {
    const app = new Application();
    app.get('/n/{value:int}', (r) => ({ value: r.pathParams.value, exact: Number.isSafeInteger(r.pathParams.value) }));
    app.get('/n/{value}', (r) => ({ text: r.pathParams.value }));
    const client = request(app.callback());
    await client.get('/n/9007199254740991').expect(200, { value: 9007199254740991, exact: true });
    await client.get('/n/0009007199254740991').expect(200, { value: 9007199254740991, exact: true });
    await client.get('/n/9007199254740993').expect(200, { text: '9007199254740993' });
    await client.get(`/n/${'9'.repeat(90)}`).expect(200, { text: '9'.repeat(90) });
  });

  it('gives a 404 for 400 digits, never Infinity', async () => {
    const app = new Application({ maxParamLength: 1_000 });
    app.get('/n/{value:int}', (r) => ({ value: r.pathParams.value }));
    await request(app.callback()).get(`/n/${'4'.repeat(400)}`).expect(404);
  });
});
