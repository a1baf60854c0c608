import { request as httpRequest } from 'node:http';
import request from 'supertest';
import {
  Application,
  BackgroundTasks,
  BaseHTTPMiddleware,
  HTTPException,
  Middleware,
  PlainTextResponse,
  type CallNext,
  type HTTPApp,
  type Request,
  type Response,
} from 'stackware';
import { gate, recordingLogger, serve, sleep, within } from '../helpers';

/** A middleware that records its name on the way in and out. */
function recorder(name: string, events: string[]) {
  return class extends BaseHTTPMiddleware {
    async dispatch(req: Request, callNext: CallNext): Promise<Response> {
      events.push(`${name} in`);
      const response = await callNext(req);
      events.push(`${name} out`);
      return response;
    }
  };
}

describe('BaseHTTPMiddleware', () => {
  it('runs the last added middleware outermost: B → A → route, then route → A → B', async () => {
    const events: string[] = [];
    const app = new Application();
    app.addMiddleware(recorder('A', events));
    app.addMiddleware(recorder('B', events));
    app.get('/', () => {
      events.push('route');
      return 'ok';
    });
    await request(app.callback()).get('/').expect(200);
    expect(events).toEqual(['B in', 'A in', 'route', 'A out', 'B out']);
  });

  it('makes the first of the middleware option the outermost', async () => {
    const events: string[] = [];
    const app = new Application({ middleware: [new Middleware(recorder('A', events)), new Middleware(recorder('B', events))] });
    app.get('/', () => 'ok');
    await request(app.callback()).get('/').expect(200);
    expect(events).toEqual(['A in', 'B in', 'B out', 'A out']);
  });

  it('interleaves function middleware with class middleware by registration order', async () => {
    const events: string[] = [];
    const app = new Application();
    app.addMiddleware(recorder('A', events));
    app.middleware('http')(async (req, callNext) => {
      events.push('fn in');
      const response = await callNext(req);
      events.push('fn out');
      return response;
    });
    app.addMiddleware(recorder('C', events));
    app.get('/', () => 'ok');
    await request(app.callback()).get('/').expect(200);
    expect(events).toEqual(['C in', 'fn in', 'A in', 'A out', 'fn out', 'C out']);
  });

  it('returns the registered function from app.middleware("http")', () => {
    const app = new Application();
    const fn = async (req: Request, callNext: CallNext) => callNext(req);
    expect(app.middleware('http')(fn)).toBe(fn);
  });

  it('refuses a middleware type other than http', () => {
    const app = new Application();
    expect(() => app.middleware('websocket' as 'http')).toThrow(/only 'http'/);
  });

  it('passes options to the middleware constructor', async () => {
    class Tag extends BaseHTTPMiddleware<{ value: string }> {
      async dispatch(req: Request, callNext: CallNext): Promise<Response> {
        const response = await callNext(req);
        response.headers.set('x-tag', this.options.value);
        return response;
      }
    }
    const app = new Application();
    app.addMiddleware(Tag, { value: 'from-options' });
    app.get('/', () => 'ok');
    await request(app.callback()).get('/').expect('x-tag', 'from-options');
  });

  it('builds the stack once, not per request', async () => {
    let constructed = 0;
    class Counting extends BaseHTTPMiddleware {
      constructor(app: HTTPApp) {
        super(app);
        constructed += 1;
      }
      dispatch(req: Request, callNext: CallNext): Promise<Response> {
        return callNext(req);
      }
    }
    const app = new Application();
    app.addMiddleware(Counting);
    app.get('/', () => 'ok');
    const client = request(app.callback());
    expect(constructed).toBe(1);
    await client.get('/');
    await client.get('/');
    await client.get('/');
    expect(constructed).toBe(1);
  });

  it('refuses addMiddleware once the application has started', async () => {
    const app = new Application();
    app.get('/', () => 'ok');
    await request(app.callback()).get('/');
    expect(() => app.addMiddleware(recorder('late', []))).toThrow(new Error('Cannot add middleware after an application has started'));
    expect(() => app.middleware('http')(async (r, next) => next(r))).toThrow('Cannot add middleware after an application has started');
  });

  it('lets a middleware change the status and headers of the response from callNext', async () => {
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      const response = await callNext(req);
      response.statusCode = 201;
      response.headers.set('x-changed', 'yes');
      return response;
    });
    app.get('/', () => ({ ok: true }));
    await request(app.callback()).get('/').expect(201).expect('x-changed', 'yes').expect({ ok: true });
  });

  it('lets a middleware replace the response', async () => {
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      await callNext(req);
      return new PlainTextResponse('replaced', { statusCode: 202 });
    });
    app.get('/', () => ({ ok: true }));
    await request(app.callback()).get('/').expect(202).expect('replaced');
  });

  it('lets a middleware answer without calling callNext', async () => {
    let routeRan = false;
    const app = new Application();
    app.middleware('http')(async () => new PlainTextResponse('short-circuit', { statusCode: 403 }));
    app.get('/', () => {
      routeRan = true;
      return 'ok';
    });
    await request(app.callback()).get('/').expect(403).expect('short-circuit');
    expect(routeRan).toBe(false);
  });

  it('gives callNext the response produced by the inner layers, the same object outwards', async () => {
    const seen: Response[] = [];
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      const response = await callNext(req);
      seen.push(response);
      return response;
    });
    app.middleware('http')(async (req, callNext) => {
      const response = await callNext(req);
      seen.push(response);
      return response;
    });
    const fixed = new PlainTextResponse('fixed');
    app.get('/', () => fixed);
    await request(app.callback()).get('/').expect('fixed');
    expect(seen).toEqual([fixed, fixed]);
    expect(seen[0]).toBe(fixed);
    expect(seen[1]).toBe(fixed);
  });

  it('shares request.state between every middleware and the endpoint', async () => {
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      req.state.user = 'alice';
      return callNext(req);
    });
    app.get('/', (req) => ({ user: req.state.user }));
    await request(app.callback()).get('/').expect({ user: 'alice' });
  });

  it('rejects callNext in every middleware on the way out when the endpoint throws, and each can catch it', async () => {
    const caught: string[] = [];
    const logger = recordingLogger();
    const app = new Application({ logger });
    const rethrowing = (name: string) =>
      class extends BaseHTTPMiddleware {
        async dispatch(req: Request, callNext: CallNext): Promise<Response> {
          try {
            return await callNext(req);
          } catch (error) {
            caught.push(`${name}: ${(error as Error).message}`);
            throw error;
          }
        }
      };
    app.addMiddleware(rethrowing('inner'));
    app.addMiddleware(rethrowing('outer'));
    app.get('/', () => {
      throw new Error('kaboom');
    });
    await request(app.callback()).get('/').expect(500).expect('Internal Server Error');
    expect(caught).toEqual(['inner: kaboom', 'outer: kaboom']);
    expect(logger.errors).toHaveLength(1);
  });

  it('lets a middleware turn an endpoint error into its own response', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.middleware('http')(async (req, callNext) => {
      try {
        return await callNext(req);
      } catch {
        return new PlainTextResponse('recovered', { statusCode: 503 });
      }
    });
    app.get('/', () => {
      throw new Error('kaboom');
    });
    await request(app.callback()).get('/').expect(503).expect('recovered');
    expect(logger.errors).toHaveLength(0);
  });

  it('turns an HTTPException thrown in dispatch into that middleware\'s response, seen as ordinary by outer middleware', async () => {
    const outerSaw: number[] = [];
    const app = new Application();
    app.middleware('http')(async () => {
      throw new HTTPException(401, 'Not authenticated', { 'www-authenticate': 'Bearer' });
    });
    app.middleware('http')(async (req, callNext) => {
      const response = await callNext(req);
      outerSaw.push(response.statusCode);
      response.headers.set('x-outer', 'ran');
      return response;
    });
    app.get('/', () => 'never');
    await request(app.callback())
      .get('/')
      .expect(401)
      .expect('www-authenticate', 'Bearer')
      .expect('x-outer', 'ran')
      .expect({ detail: 'Not authenticated' });
    expect(outerSaw).toEqual([401]);
  });

  it('turns an HTTPException thrown synchronously by a dispatch function into its response', async () => {
    const app = new Application();
    app.middleware('http')(((): Promise<Response> => {
      throw new HTTPException(429);
    }) as never);
    app.get('/', () => 'never');
    await request(app.callback()).get('/').expect(429).expect({ detail: 'Too Many Requests' });
  });

  it('uses the registered status handler for an HTTPException thrown in dispatch', async () => {
    const app = new Application();
    app.exceptionHandler(403, (_req, exc) => new PlainTextResponse(`custom ${exc.detail}`, { statusCode: 403 }));
    app.middleware('http')(async () => {
      throw new HTTPException(403, 'nope');
    });
    app.get('/', () => 'never');
    await request(app.callback()).get('/').expect(403).expect('custom nope');
  });

  it('gives a 500 and logs an error naming the class when dispatch resolves to something else than a Response', async () => {
    const logger = recordingLogger();
    class ForgetfulMiddleware extends BaseHTTPMiddleware {
      async dispatch(req: Request, callNext: CallNext): Promise<Response> {
        await callNext(req);
        return undefined as unknown as Response;
      }
    }
    const app = new Application({ logger });
    app.addMiddleware(ForgetfulMiddleware);
    app.get('/', () => 'ok');
    await request(app.callback()).get('/').expect(500).expect('Internal Server Error');
    expect(logger.errors).toHaveLength(1);
    expect(String(logger.errors[0].error)).toContain('ForgetfulMiddleware');
    expect(String(logger.errors[0].error)).toContain('undefined');
  });

  it('names the function when a function middleware resolves to something else than a Response', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.middleware('http')((async function sloppy() {
      return { not: 'a response' };
    }) as never);
    app.get('/', () => 'ok');
    await request(app.callback()).get('/').expect(500);
    expect(String(logger.errors[0].error)).toContain('sloppy');
  });
});

describe('BaseHTTPMiddleware: several layers setting response.background', () => {
  it('tests/middleware/test_base.py::test_multiple_middlewares_stacked_client_disconnected: all ten layers\' tasks run', async () => {
    const orderedEvents: string[] = [];
    const unorderedEvents: string[] = [];
    const bodyFailed = gate();
    class MyMiddleware extends BaseHTTPMiddleware<{ version: number }> {
      async dispatch(req: Request, callNext: CallNext): Promise<Response> {
        const { version } = this.options;
        orderedEvents.push(`${version}:STARTED`);
        const res = await callNext(req);
        orderedEvents.push(`${version}:COMPLETED`);
        // Starlette's test also asserts res.background is None here: each of its layers gets a
        // response of its own, while here one Response travels out (see docs/starlette-names.md).
        res.background = new BackgroundTasks([() => unorderedEvents.push(`${version}:BACKGROUND`)]);
        return res;
      }
    }
    const app = new Application({
      logger: recordingLogger(),
      middleware: Array.from({ length: 10 }, (_, i) => new Middleware(MyMiddleware, { version: i + 1 })),
    });
    app.post('/', async (req) => {
      try {
        await req.body();
      } catch {
        bodyFailed.open();
        return new PlainTextResponse('');
      }
      throw new Error('Should have failed on the client disconnect');
    });
    const server = await serve(app);
    try {
      const client = httpRequest(`${server.url}/`, { method: 'POST', agent: false, headers: { 'content-length': '1000' } });
      client.on('error', () => undefined);
      client.write('x'.repeat(10));
      await sleep(30);
      client.destroy();
      await within(bodyFailed.promise, 2000, 'the body read to fail');
      const deadline = Date.now() + 2000;
      while (unorderedEvents.length < 10 && Date.now() < deadline) await sleep(5);
      const versions = Array.from({ length: 10 }, (_, i) => i + 1);
      expect(orderedEvents).toEqual([...versions.map((v) => `${v}:STARTED`), ...[...versions].reverse().map((v) => `${v}:COMPLETED`)]);
      expect([...unorderedEvents].sort()).toEqual(versions.map((v) => `${v}:BACKGROUND`).sort());
    } finally {
      await server.close();
    }
  });

  it('runs the earlier tasks first: the endpoint\'s, then each layer\'s from the innermost out, then request.backgroundTasks', async () => {
    const events: string[] = [];
    const done = gate();
    const layer = (name: string) =>
      class extends BaseHTTPMiddleware {
        async dispatch(req: Request, callNext: CallNext): Promise<Response> {
          const res = await callNext(req);
          res.background = new BackgroundTasks([() => events.push(name)]);
          return res;
        }
      };
    const app = new Application();
    app.addMiddleware(layer('inner layer'));
    app.addMiddleware(layer('outer layer'));
    app.get('/', (req) => {
      req.backgroundTasks.addTask(() => {
        events.push('request task');
        done.open();
      });
      return new PlainTextResponse('ok', { background: new BackgroundTasks([() => events.push('endpoint')]) });
    });
    const server = await serve(app);
    try {
      await (await fetch(server.url)).text();
      await within(done.promise, 2000, 'the tasks');
      expect(events).toEqual(['endpoint', 'inner layer', 'outer layer', 'request task']);
    } finally {
      await server.close();
    }
  });

  it('runs tasks assigned twice, or also added to request.backgroundTasks, once; assigning undefined drops them', async () => {
    const events: string[] = [];
    const done = gate();
    const shared = new BackgroundTasks([() => events.push('shared')]);
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      const res = await callNext(req);
      res.background = shared;
      res.background = req.backgroundTasks;
      return res;
    });
    app.get('/', (req) => {
      req.backgroundTasks.addTask(() => {
        events.push('request task');
        done.open();
      });
      const res = new PlainTextResponse('ok', { background: shared });
      res.background = new BackgroundTasks([() => events.push('dropped')]);
      res.background = undefined;
      res.background = shared;
      return res;
    });
    const server = await serve(app);
    try {
      await (await fetch(server.url)).text();
      await within(done.promise, 2000, 'the tasks');
      await sleep(20);
      expect(events).toEqual(['shared', 'request task']);
    } finally {
      await server.close();
    }
  });

  it('keeps the queues apart: tasks added to a queue after it was assigned still run, and a reused queue does not grow', () => {
    const first = new BackgroundTasks([() => undefined]);
    const second = new BackgroundTasks([() => undefined]);
    const one = new PlainTextResponse('a', { background: first });
    one.background = second;
    first.addTask(() => undefined);
    expect(one.background?.size).toBe(3);
    const other = new PlainTextResponse('b', { background: second });
    expect(other.background).toBe(second);
    expect(second.size).toBe(1);
  });
});
