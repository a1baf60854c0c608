import request from 'supertest';
import {
  Application,
  BackgroundTasks,
  BaseHTTPMiddleware,
  HTTPException,
  JSONResponse,
  RequestIdMiddleware,
  StreamingResponse,
  requestId,
  type CallNext,
  type Request,
  type RequestIdOptions,
  type Response,
} from 'stackware';
import { sleep, within } from '../helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An app whose endpoint reports the id three ways: state, requestId(), and the header sent back. */
function echoApp(options?: RequestIdOptions): Application {
  const app = new Application();
  app.addMiddleware(RequestIdMiddleware, options);
  app.get('/', (r) => ({ state: r.state.requestId, current: requestId() }));
  return app;
}

/** A promise and the function that resolves it. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('RequestIdMiddleware', () => {
  it('generates a UUID when the request has no X-Request-ID, and sends it back', async () => {
    const res = await request(echoApp().callback()).get('/').expect(200);
    const id = res.headers['x-request-id'];
    expect(id).toMatch(UUID);
    expect(res.body).toEqual({ state: id, current: id });
  });

  it('gives every request its own id', async () => {
    const client = request(echoApp().callback());
    const a = await client.get('/');
    const b = await client.get('/');
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('keeps a sane incoming id: 1 to 200 of letters, digits and ._~:/+=-', async () => {
    const client = request(echoApp().callback());
    for (const id of ['abc', 'A-1_2.3~4:5/6+7=8', 'x'.repeat(200), '0']) {
      const res = await client.get('/').set('X-Request-ID', id).expect(200);
      expect(res.headers['x-request-id']).toBe(id);
      expect(res.body).toEqual({ state: id, current: id });
    }
  });

  it('replaces an incoming id that is too long or has other characters', async () => {
    const client = request(echoApp().callback());
    for (const id of ['x'.repeat(201), 'has space', '<script>', 'a,b', 'semi;colon', 'quote"', 'é']) {
      const res = await client.get('/').set('X-Request-ID', id).expect(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.body.state).toBe(res.headers['x-request-id']);
    }
    const empty = await client.get('/').set('X-Request-ID', '').expect(200);
    expect(empty.headers['x-request-id']).toMatch(UUID);
  });

  it('reads and writes the header named by headerName', async () => {
    const res = await request(echoApp({ headerName: 'X-Correlation-ID' }).callback())
      .get('/')
      .set('X-Correlation-ID', 'corr-1')
      .set('X-Request-ID', 'ignored')
      .expect(200);
    expect(res.headers['x-correlation-id']).toBe('corr-1');
    expect(res.headers).not.toHaveProperty('x-request-id');
    expect(res.body.current).toBe('corr-1');
  });

  it('makes new ids with the generator option, once per request without a usable id', async () => {
    let n = 0;
    const client = request(echoApp({ generator: () => `req-${++n}` }).callback());
    expect((await client.get('/')).headers['x-request-id']).toBe('req-1');
    expect((await client.get('/').set('X-Request-ID', 'given')).headers['x-request-id']).toBe('given');
    expect((await client.get('/').set('X-Request-ID', 'bad id')).headers['x-request-id']).toBe('req-2');
    expect(n).toBe(2);
  });

  it('with asyncContext: false, still sets the id on request.state and the response, but requestId() returns undefined', async () => {
    const res = await request(echoApp({ asyncContext: false }).callback()).get('/').set('x-request-id', 'abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.body).toEqual({ state: 'abc-123' });
    const fresh = await request(echoApp({ asyncContext: false }).callback()).get('/').expect(200);
    expect(fresh.headers['x-request-id']).toMatch(UUID);
    expect(fresh.body).toEqual({ state: fresh.headers['x-request-id'] });
  });

  it('refuses an invalid headerName when the stack is built', () => {
    const app = new Application();
    app.addMiddleware(RequestIdMiddleware, { headerName: 'x request id' });
    expect(() => app.callback()).toThrow(/Invalid headerName/);
  });

  it('sends the id on the response an HTTPException became', async () => {
    const app = new Application();
    app.addMiddleware(RequestIdMiddleware);
    app.get('/', () => {
      throw new HTTPException(418, 'teapot');
    });
    const res = await request(app.callback()).get('/').set('X-Request-ID', 'tea-1').expect(418);
    expect(res.headers['x-request-id']).toBe('tea-1');
  });

  it('returns undefined from requestId() outside a request, and in middleware outside it', async () => {
    expect(requestId()).toBeUndefined();
    const seen: Array<string | undefined> = [];
    class Outer extends BaseHTTPMiddleware {
      async dispatch(req: Request, callNext: CallNext): Promise<Response> {
        seen.push(requestId());
        const response = await callNext(req);
        seen.push(requestId());
        return response;
      }
    }
    class Inner extends BaseHTTPMiddleware {
      async dispatch(req: Request, callNext: CallNext): Promise<Response> {
        seen.push(requestId());
        const response = await callNext(req);
        seen.push(requestId());
        return response;
      }
    }
    const app = new Application();
    app.addMiddleware(Inner);
    app.addMiddleware(RequestIdMiddleware);
    app.addMiddleware(Outer);
    app.get('/', () => 'ok');
    await request(app.callback()).get('/').set('X-Request-ID', 'r1').expect(200);
    expect(seen).toEqual([undefined, 'r1', 'r1', undefined]);
  });

  it('keeps concurrent requests apart across awaits', async () => {
    const app = new Application();
    app.addMiddleware(RequestIdMiddleware);
    app.get('/{ms:int}', async (r) => {
      const before = requestId();
      await sleep(r.pathParams.ms as number);
      return { before, after: requestId() };
    });
    const client = request(app.callback());
    const [a, b] = await Promise.all([
      client.get('/60').set('X-Request-ID', 'slow'),
      client.get('/5').set('X-Request-ID', 'fast'),
    ]);
    expect(a.body).toEqual({ before: 'slow', after: 'slow' });
    expect(b.body).toEqual({ before: 'fast', after: 'fast' });
  });

  it('is visible in dependencies and their exit code, in a streaming body and in background tasks', async () => {
    const ran = {
      response: deferred<string | undefined>(),
      request: deferred<string | undefined>(),
      exit: deferred<string | undefined>(),
    };
    const app = new Application();
    app.addMiddleware(RequestIdMiddleware);
    const currentUser = () => ({ name: 'ada', seenId: requestId() });
    async function* session() {
      try {
        yield 'db session';
      } finally {
        ran.exit.resolve(requestId());
      }
    }
    app.get('/stream', async (r) => {
      const user = await r.depends(currentUser);
      await r.depends(session);
      r.backgroundTasks.addTask(() => ran.request.resolve(requestId()));
      const background = new BackgroundTasks();
      background.addTask(() => ran.response.resolve(requestId()));
      async function* body() {
        yield `dependency:${user.seenId};`;
        await sleep(5);
        yield `stream:${requestId()}`;
      }
      return new StreamingResponse(body(), { background });
    });
    const res = await request(app.callback()).get('/stream').set('X-Request-ID', 'ctx-1').expect(200);
    expect(res.text).toBe('dependency:ctx-1;stream:ctx-1');
    expect(await within(ran.response.promise, 2000, 'the response background task')).toBe('ctx-1');
    expect(await within(ran.request.promise, 2000, 'the request background task')).toBe('ctx-1');
    expect(await within(ran.exit.promise, 2000, 'the dependency exit code')).toBe('ctx-1');
  });

  it('is there for a middleware inside it that logs after callNext', async () => {
    const lines: string[] = [];
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      const response = await callNext(req);
      lines.push(`[${requestId()}] ${req.method} ${req.url.pathname} ${response.statusCode}`);
      return response;
    });
    app.addMiddleware(RequestIdMiddleware);
    app.get('/items', () => new JSONResponse([]));
    await request(app.callback()).get('/items').set('X-Request-ID', 'log-7').expect(200);
    expect(lines).toEqual(['[log-7] GET /items 200']);
  });
});
