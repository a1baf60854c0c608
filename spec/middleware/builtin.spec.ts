import { createHook } from 'node:async_hooks';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  Application,
  BaseHTTPMiddleware,
  CORSMiddleware,
  GZipMiddleware,
  HTTPException,
  Middleware,
  PlainTextResponse,
  RequestIdMiddleware,
  SessionMiddleware,
  requestId,
  type CallNext,
  type HTTPApp,
  type Request,
  type Response,
} from 'stackware';
import { BuiltinMiddleware, type Exit } from '../../lib/middleware/builtin';
import { fakeRequest } from '../helpers';

const SECRET = 'a-test-secret-of-at-least-32-bytes-0123456789';

/** A built-in-style layer that records its halves under `name`; `answer` makes it answer on the way in. */
function recorder(name: string, events: string[], behaviour: { answer?: boolean; slowExit?: () => Promise<void> } = {}) {
  return class extends BuiltinMiddleware {
    protected override enter(req: Request): Response | Exit | undefined {
      events.push(`${name} in`);
      if (behaviour.answer) return new PlainTextResponse(`answered by ${name}`);
      return (response) => {
        events.push(`${name} out`);
        response.headers.append('x-exits', name);
        const slow = behaviour.slowExit;
        return slow === undefined ? response : slow().then(() => {
          events.push(`${name} out settled`);
          return response;
        });
      };
    }
  };
}

/** The number of promises created while `run` settles. */
async function promisesDuring(run: () => Promise<unknown>): Promise<number> {
  let count = 0;
  let counting = false;
  const hook = createHook({
    init(_id, type) {
      if (counting && type === 'PROMISE') count++;
    },
  }).enable();
  try {
    counting = true;
    await run();
    counting = false;
  } finally {
    hook.disable();
  }
  return count;
}

describe('BuiltinMiddleware: a run of built-in layers answered as one', () => {
  it('enters outermost first and applies the exits innermost first, as nested layers do', async () => {
    const events: string[] = [];
    const app = new Application();
    app.addMiddleware(recorder('C', events));
    app.addMiddleware(recorder('B', events));
    app.addMiddleware(recorder('A', events));
    app.get('/', () => {
      events.push('route');
      return 'ok';
    });
    const response = await request(app.callback()).get('/').expect(200);
    expect(events).toEqual(['A in', 'B in', 'C in', 'route', 'C out', 'B out', 'A out']);
    expect(response.headers['x-exits']).toBe('C, B, A');
  });

  it('an early answer skips the inner layers and the route, and still gets the exits of the layers outside', async () => {
    const events: string[] = [];
    const app = new Application();
    app.addMiddleware(recorder('C', events));
    app.addMiddleware(recorder('B', events, { answer: true }));
    app.addMiddleware(recorder('A', events));
    app.get('/', () => {
      events.push('route');
      return 'ok';
    });
    const response = await request(app.callback()).get('/').expect(200);
    expect(response.text).toBe('answered by B');
    expect(events).toEqual(['A in', 'B in', 'A out']);
    expect(response.headers['x-exits']).toBe('A');
  });

  it('an exit that returns a promise holds the exits outside it until it settles', async () => {
    const events: string[] = [];
    const app = new Application();
    app.addMiddleware(recorder('B', events, { slowExit: () => new Promise((resolve) => setTimeout(resolve, 20)) }));
    app.addMiddleware(recorder('A', events));
    app.get('/', () => 'ok');
    await request(app.callback()).get('/').expect(200);
    expect(events).toEqual(['A in', 'B in', 'B out', 'B out settled', 'A out']);
  });

  it('an error from the inner layers passes through the run without running its exits', async () => {
    const events: string[] = [];
    class Failing implements HTTPApp {
      handle(): Promise<Response> {
        return Promise.reject(new Error('inner failure'));
      }
    }
    const B = recorder('B', events);
    const A = recorder('A', events);
    const stack = new A(new B(new Failing()));
    await expect(stack.handle(fakeRequest())).rejects.toThrow('inner failure');
    expect(events).toEqual(['A in', 'B in']);
  });

  it('an HTTPException from the route still becomes its response, with the run\'s headers (CORS on a 404)', async () => {
    const app = new Application();
    app.addMiddleware(GZipMiddleware);
    app.addMiddleware(CORSMiddleware, { allowOrigins: ['https://app.example'] });
    app.get('/missing', () => {
      throw new HTTPException(404, 'no such thing');
    });
    const response = await request(app.callback()).get('/missing').set('Origin', 'https://app.example').expect(404);
    expect(response.body).toEqual({ detail: 'no such thing' });
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('runs the inner layers and the exits inside RequestIdMiddleware\'s async context', async () => {
    const seen: (string | undefined)[] = [];
    class ReadsId extends BuiltinMiddleware {
      protected override enter(): Exit {
        seen.push(requestId());
        return (response) => {
          seen.push(requestId());
          return response;
        };
      }
    }
    const app = new Application();
    app.addMiddleware(ReadsId);
    app.addMiddleware(RequestIdMiddleware);
    app.get('/', () => ({ id: requestId() }));
    const response = await request(app.callback()).get('/').set('x-request-id', 'abc-123').expect(200);
    expect(response.body).toEqual({ id: 'abc-123' });
    expect(seen).toEqual(['abc-123', 'abc-123']);
    expect(requestId()).toBeUndefined();
  });

  it('waits for an `around` (a session kept in a store) before the exits outside it', async () => {
    const events: string[] = [];
    class Around extends BuiltinMiddleware {
      protected override enter(): undefined {
        events.push('around in');
        return undefined;
      }
      protected override around(req: Request, proceed: CallNext): Promise<Response> {
        return proceed(req).then(async (response) => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          events.push('around done');
          return response;
        });
      }
    }
    const app = new Application();
    app.addMiddleware(recorder('inner', events));
    app.addMiddleware(Around);
    app.addMiddleware(recorder('outer', events));
    app.get('/', () => 'ok');
    const response = await request(app.callback()).get('/').expect(200);
    expect(events).toEqual(['outer in', 'around in', 'inner in', 'inner out', 'around done', 'outer out']);
    expect(response.headers['x-exits']).toBe('inner, outer');
  });

  it('calls the dispatch of a subclass that overrides it on every request, outside any run', async () => {
    const calls: string[] = [];
    class LoggingCORS extends CORSMiddleware {
      override dispatch(req: Request, callNext: CallNext): Promise<Response> {
        calls.push(req.url.pathname);
        return super.dispatch(req, callNext);
      }
    }
    const app = new Application();
    app.addMiddleware(LoggingCORS, { allowOrigins: ['https://app.example'] });
    app.addMiddleware(RequestIdMiddleware);
    app.get('/a', () => 'a');
    const response = await request(app.callback()).get('/a').set('Origin', 'https://app.example').expect(200);
    expect(calls).toEqual(['/a']);
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(response.headers['x-request-id']).toBeDefined();
  });

  describe('errors, as nested layers give them (the same layers unfused are the reference)', () => {
    interface Behaviour {
      enterThrows?: unknown;
      exitThrows?: unknown;
      exitRejects?: unknown;
      context?: boolean;
    }
    type Layer = new (app: HTTPApp) => HTTPApp;
    /**
     * A layer recording its halves; a rejection or throw as `behaviour` says. Unfused, the same
     * layer overrides dispatch, so that BaseHTTPMiddleware.handle calls it layer by layer.
     */
    function layer(name: string, events: string[], behaviour: Behaviour, fused: boolean): Layer {
      class Recording extends BuiltinMiddleware {
        protected override enter(): Exit {
          events.push(`${name} in`);
          if (behaviour.enterThrows !== undefined) throw behaviour.enterThrows;
          return (response) => {
            events.push(`${name} out`);
            if (behaviour.exitThrows !== undefined) throw behaviour.exitThrows;
            if (behaviour.exitRejects !== undefined) return Promise.reject(behaviour.exitRejects);
            response.headers.append('x-exits', name);
            return response;
          };
        }
        protected override inContext<T>(_req: Request, proceed: () => T): T {
          if (behaviour.context) events.push(`${name} context`);
          return proceed();
        }
      }
      if (fused) return Recording;
      return class Unfused extends Recording {
        override dispatch(req: Request, callNext: CallNext): Promise<Response> {
          return super.dispatch(req, callNext);
        }
      };
    }
    /** Status, body, `x-exits` and the events of one request through route-level layers `specs`, fused or not. */
    async function outcome(specs: [string, Behaviour][], endpointError: unknown, fused: boolean) {
      const events: string[] = [];
      const app = new Application({ logger: { error: () => undefined } });
      const middleware = specs.map(([name, behaviour]) => new Middleware(layer(name, events, behaviour, fused)));
      app.get(
        '/',
        () => {
          events.push('route');
          if (endpointError !== undefined) throw endpointError;
          return 'ok';
        },
        { middleware },
      );
      const response = await request(app.callback()).get('/');
      return { status: response.status, body: response.text, exits: response.headers['x-exits'], events };
    }
    const teapot = new HTTPException(418, 'short and stout');
    const cases: [string, [string, Behaviour][], unknown][] = [
      ['an HTTPException from the endpoint', [['A', {}], ['B', {}], ['C', {}]], teapot],
      ['an HTTPException thrown by an enter', [['A', {}], ['B', { enterThrows: teapot }], ['C', {}]], undefined],
      ['an HTTPException thrown by an exit', [['A', {}], ['B', { exitThrows: teapot }], ['C', {}]], undefined],
      ['an HTTPException an exit rejects with', [['A', {}], ['B', { exitRejects: teapot }], ['C', {}]], undefined],
      ['an HTTPException from the endpoint, the innermost layer with a context', [['A', {}], ['B', { context: true }]], teapot],
      ['an HTTPException from the endpoint, a middle layer with a context', [['A', {}], ['B', { context: true }], ['C', {}]], teapot],
      ['an Error from the endpoint', [['A', {}], ['B', {}]], new Error('boom')],
      ['an Error thrown by an exit', [['A', {}], ['B', { exitThrows: new Error('boom') }]], undefined],
    ];
    it.each(cases)('%s', async (_title, specs, endpointError) => {
      const reference = await outcome(specs, endpointError, false);
      const fusedOutcome = await outcome(specs, endpointError, true);
      expect(fusedOutcome).toEqual(reference);
    });

    it('a route-level CORS and GZip put their headers on the HTTPException response, as before they were fused', async () => {
      const app = new Application();
      app.get(
        '/x',
        () => {
          throw new HTTPException(404, 'nope');
        },
        { middleware: [new Middleware(CORSMiddleware, { allowOrigins: ['https://a.example'] }), new Middleware(GZipMiddleware)] },
      );
      const response = await request(app.callback()).get('/x').set('Origin', 'https://a.example').expect(404);
      expect(response.headers['access-control-allow-origin']).toBe('https://a.example');
      expect(response.body).toEqual({ detail: 'nope' });
    });
  });

  describe('the realistic stack (CORS, RequestId, Session, GZip) and a synchronous endpoint', () => {
    const build = (withStack: boolean): Application => {
      const app = new Application();
      if (withStack) {
        app.addMiddleware(GZipMiddleware, { minimumSize: 10 });
        app.addMiddleware(SessionMiddleware, { secretKey: SECRET });
        app.addMiddleware(RequestIdMiddleware);
        app.addMiddleware(CORSMiddleware, { allowOrigins: ['https://app.example'], allowCredentials: true });
      }
      app.get('/items', (req) => ({ user: withStack ? (req.session.user ?? null) : null, items: Array.from({ length: 20 }, (_, i) => i) }));
      app.get('/login', (req) => {
        req.session.user = 'alice';
        return 'in';
      });
      return app;
    };
    const headersWithSession = async (app: Application): Promise<Record<string, string>> => {
      const login = await app.handle(fakeRequest({ target: '/login', headers: { host: 'example.com' } }));
      const cookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0];
      return { host: 'example.com', origin: 'https://app.example', 'accept-encoding': 'gzip', cookie };
    };

    it('app.handle creates no more promises with the stack than without it', async () => {
      const stacked = build(true);
      const bare = build(false);
      const headers = await headersWithSession(stacked);
      const one = (app: Application): Promise<Response> => app.handle(fakeRequest({ target: '/items', headers }));
      await one(bare);
      const checked = await one(stacked);
      expect(checked.headers.get('content-encoding')).toBe('gzip');
      expect(checked.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(checked.headers.get('x-request-id')).not.toBeNull();
      expect(checked.headers.get('vary')).toBe('Accept-Encoding, Cookie, Origin');

      const withoutMiddleware = await promisesDuring(() => one(bare));
      const withStack = await promisesDuring(() => one(stacked));
      expect(withStack).toBe(withoutMiddleware);
    });

    it('the Node adapter sends the response within the request event, without creating a promise', async () => {
      const app = build(true);
      const headers = await headersWithSession(app);
      const listener = app.callback();
      const windows: { promises: number; ended: boolean }[] = [];
      let counting = false;
      let promises = 0;
      const hook = createHook({
        init(_id, type) {
          if (counting && type === 'PROMISE') promises++;
        },
      });
      const server = createServer((req, res) => {
        promises = 0;
        counting = true;
        hook.enable();
        try {
          listener(req, res);
        } finally {
          hook.disable();
          counting = false;
          windows.push({ promises, ended: res.writableEnded });
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const response = await request(`http://127.0.0.1:${port}`).get('/items').set(headers).expect(200);
        expect(response.headers['content-encoding']).toBe('gzip');
        expect(response.body).toEqual({ user: 'alice', items: Array.from({ length: 20 }, (_, i) => i) });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      expect(windows).toEqual([{ promises: 0, ended: true }]);
    });

    it('an async endpoint or a BaseHTTPMiddleware in the stack still answers, through promises', async () => {
      const app = build(true);
      app.addMiddleware(
        class Outer extends BaseHTTPMiddleware {
          async dispatch(req: Request, callNext: CallNext): Promise<Response> {
            const response = await callNext(req);
            response.headers.set('x-outer', '1');
            return response;
          }
        },
      );
      app.get('/slow', async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { slow: true };
      });
      const headers = await headersWithSession(app);
      const response = await request(app.callback()).get('/slow').set(headers).expect(200);
      expect(response.headers['x-outer']).toBe('1');
      expect(response.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(response.body).toEqual({ slow: true });
    });
  });
});
