import request from 'supertest';
import {
  Application,
  Middleware,
  PlainTextResponse,
  ServerTiming,
  ServerTimingMiddleware,
  StreamingResponse,
  serverTiming,
  type Endpoint,
} from 'stackware';
import { sleep } from '../helpers';

function timedApp(endpoint: Endpoint): Application {
  const app = new Application();
  app.addMiddleware(ServerTimingMiddleware);
  app.get('/', endpoint);
  return app;
}

/** The `dur` of metric `name` in a Server-Timing header. */
function duration(header: string, name: string): number {
  const metric = header.split(', ').find((m) => m.split(';')[0] === name);
  const match = metric === undefined ? null : /;dur=([0-9.]+)/.exec(metric);
  if (match === null) throw new Error(`no ${name};dur in ${header}`);
  return Number(match[1]);
}

describe('ServerTimingMiddleware', () => {
  it('sends total;dur=<ms> when the endpoint added no metric', async () => {
    const res = await request(timedApp(() => 'ok').callback()).get('/').expect(200);
    expect(res.headers['server-timing']).toMatch(/^total;dur=\d+(\.\d{1,3})?$/);
  });

  it('sends the marks the endpoint added, in order, then total', async () => {
    const app = timedApp((r) => {
      serverTiming(r).mark('db', 12.3456, 'Database');
      serverTiming(r).mark('cache', undefined, 'miss');
      serverTiming(r).mark('render', 0.5);
      serverTiming(r).mark('flag');
      return 'ok';
    });
    const res = await request(app.callback()).get('/').expect(200);
    expect(res.headers['server-timing']).toMatch(
      /^db;dur=12\.346;desc="Database", cache;desc="miss", render;dur=0\.5, flag, total;dur=[0-9.]+$/,
    );
  });

  it('times a function with time(): its result returned, its duration recorded, also when it throws', async () => {
    const app = timedApp(async (r) => {
      const timing = serverTiming(r);
      const value = await timing.time('slow', async () => {
        await sleep(40);
        return 42;
      });
      const sync = await timing.time('sync', () => 'plain', 'a plain function');
      await expect(timing.time('failing', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      return { value, sync };
    });
    const res = await request(app.callback()).get('/').expect(200).expect({ value: 42, sync: 'plain' });
    const header: string = res.headers['server-timing'];
    expect(duration(header, 'slow')).toBeGreaterThanOrEqual(35);
    expect(header).toMatch(/sync;dur=[0-9.]+;desc="a plain function"/);
    expect(duration(header, 'failing')).toBeGreaterThanOrEqual(0);
    expect(duration(header, 'total')).toBeGreaterThanOrEqual(duration(header, 'slow'));
  });

  it('measures total to the start of the response, not to the end of a streaming body', async () => {
    const app = timedApp(async () => {
      await sleep(30);
      async function* body() {
        yield 'first';
        await sleep(400);
        yield 'last';
      }
      return new StreamingResponse(body());
    });
    const res = await request(app.callback()).get('/').expect(200).expect('firstlast');
    const total = duration(res.headers['server-timing'], 'total');
    expect(total).toBeGreaterThanOrEqual(25);
    expect(total).toBeLessThan(400);
  });

  it('appends to a Server-Timing header the endpoint set', async () => {
    const app = timedApp(() => new PlainTextResponse('ok', { headers: { 'Server-Timing': 'upstream;dur=5' } }));
    const res = await request(app.callback()).get('/').expect(200);
    expect(res.headers['server-timing']).toMatch(/^upstream;dur=5, total;dur=[0-9.]+$/);
  });

  it('quotes descriptions, escaping quotes and backslashes', async () => {
    const app = timedApp((r) => {
      serverTiming(r).mark('q', 1, 'say "hi" \\ bye');
      return 'ok';
    });
    const res = await request(app.callback()).get('/').expect(200);
    expect(res.headers['server-timing']).toContain('q;dur=1;desc="say \\"hi\\" \\\\ bye"');
  });

  it('drops marks added after the response started, without an error', async () => {
    const app = timedApp((r) => {
      async function* body() {
        yield 'a';
        serverTiming(r).mark('late', 1);
        yield 'b';
      }
      return new StreamingResponse(body());
    });
    const res = await request(app.callback()).get('/').expect(200).expect('ab');
    expect(res.headers['server-timing']).not.toContain('late');
  });

  it('lets endpoints call serverTiming() when the middleware is not installed: the marks go nowhere', async () => {
    const app = new Application();
    app.get('/', async (r) => {
      serverTiming(r).mark('db', 1);
      return serverTiming(r).time('work', () => 'done');
    });
    const res = await request(app.callback()).get('/').expect(200).expect('"done"');
    expect(res.headers).not.toHaveProperty('server-timing');
  });

  it('sends one total when a mount has its own ServerTimingMiddleware', async () => {
    const sub = new Application();
    sub.get('/x', (r) => {
      serverTiming(r).mark('inner', 1);
      return 'ok';
    });
    const app = new Application();
    app.addMiddleware(ServerTimingMiddleware);
    app.mount('/sub', sub, { middleware: [new Middleware(ServerTimingMiddleware)] });
    const res = await request(app.callback()).get('/sub/x').expect(200);
    expect(res.headers['server-timing']).toMatch(/^inner;dur=1, total;dur=[0-9.]+$/);
  });

  it('refuses a name that is not a token, a description with control characters, a bad duration', () => {
    const timing = new ServerTiming();
    expect(() => timing.mark('has space')).toThrow(TypeError);
    expect(() => timing.mark('')).toThrow(TypeError);
    expect(() => timing.mark('ok', 1, 'line\nbreak')).toThrow(TypeError);
    expect(() => timing.mark('ok', -1)).toThrow(RangeError);
    expect(() => timing.mark('ok', Number.NaN)).toThrow(RangeError);
    expect(() => timing.mark('ok', Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(timing.close(1)).toBe('total;dur=1');
  });
});
