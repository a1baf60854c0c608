import request from 'supertest';
import {
  Application,
  BaseHTTPMiddleware,
  HTTPException,
  Middleware,
  PlainTextResponse,
  type CallNext,
  type HTTPApp,
  type Request,
  type Response,
} from 'stackware';
import { recordingLogger } from '../helpers';

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
