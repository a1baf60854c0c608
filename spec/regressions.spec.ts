// Each test pins a problem found in review (a crash, a bypass, a leak) so that it cannot return.
import request from 'supertest';
import {
  Application,
  BaseHTTPMiddleware,
  HTTPException,
  Headers,
  JSONResponse,
  SessionMiddleware,
  TimestampSigner,
  PlainTextResponse,
  Response,
  Route,
  Router,
  StreamingResponse,
  createRequestListener,
  type BodyChunk,
  type CallNext,
  type Request,
} from 'stackware';
import { gate, rawExchange as raw, recordingLogger, serve, sleep, within } from './helpers';

describe('regressions', () => {
  it('survives a streaming body whose iterator cannot even be opened: logged, connection closed, server up', async () => {
    const logger = recordingLogger();
    const broken: AsyncIterable<BodyChunk> = {
      [Symbol.asyncIterator]() {
        throw new Error('cannot open');
      },
    };
    const app = new Application({ logger });
    app.get('/broken', () => new StreamingResponse(broken));
    app.get('/ok', () => 'ok');
    const server = await serve(app);
    try {
      await fetch(`${server.url}/broken`).then((r) => r.text()).catch(() => 'closed');
      expect(logger.errors.map((e) => (e.error as Error).message)).toEqual(['cannot open']);
      expect(await (await fetch(`${server.url}/ok`)).json()).toBe('ok');
    } finally {
      await server.close();
    }
  });

  it('builds request.url from the Host header, never from an absolute-form target (no open redirect)', async () => {
    const app = new Application();
    app.get('/items/', (req) => ({ host: req.url.host, path: req.path }));
    const server = await serve(app);
    try {
      const answer = await raw(server.url, 'GET http://evil.com/items HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 307/);
      expect(answer).toMatch(/location: http:\/\/example\.com\/items\//i);
      expect(answer).not.toMatch(/evil\.com/);
      const ok = await raw(server.url, 'GET http://evil.com/items/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
      expect(ok).toContain('{"host":"example.com","path":"/items/"}');
    } finally {
      await server.close();
    }
  });

  it('gives a mounted application the lifespan state of the application being served', async () => {
    const sub = new Application();
    sub.get('/db', (req) => ({ db: req.state.db ?? null }));
    const app = new Application({
      lifespan: async function* () {
        yield { db: 'pool' };
      },
    });
    app.mount('/v1', sub);
    const server = await serve(app);
    try {
      expect(await (await fetch(`${server.url}/v1/db`)).json()).toEqual({ db: 'pool' });
    } finally {
      await server.close();
    }
  });

  it('still logs a real error that happens after the client went away', async () => {
    const logger = recordingLogger();
    const failed = gate();
    const app = new Application({ logger });
    app.get('/late-crash', async (req) => {
      await new Promise((resolve) => req.signal.addEventListener('abort', resolve));
      failed.open();
      throw new TypeError('a bug, not a disconnect');
    });
    const server = await serve(app);
    try {
      const controller = new AbortController();
      const pending = fetch(`${server.url}/late-crash`, { signal: controller.signal }).catch(() => undefined);
      await sleep(50);
      controller.abort();
      await pending;
      await within(failed.promise, 2000, 'the endpoint to fail');
      await sleep(30);
      expect(logger.errors.map((e) => (e.error as Error).message)).toEqual(['a bug, not a disconnect']);
    } finally {
      await server.close();
    }
  });

  it('answers an HTTPException from a bare Router served directly with its status, not a 500', async () => {
    const logger = recordingLogger();
    const router = new Router([new Route('/here', () => 'here')]);
    const client = request(createRequestListener(router, logger));
    await client.get('/here').expect(200).expect('"here"');
    await client.get('/missing').expect(404).expect({ detail: 'Not Found' });
    expect(logger.errors).toEqual([]);
  });

  it('runs the exit code of a function-scoped dependency resolved in a middleware even when no route matched', async () => {
    const closed = gate();
    async function* connection() {
      try {
        yield 'conn';
      } finally {
        closed.open();
      }
    }
    class Opens extends BaseHTTPMiddleware {
      async dispatch(req: Request, callNext: CallNext): Promise<Response> {
        await req.depends(connection, { scope: 'function' });
        return callNext(req);
      }
    }
    const app = new Application();
    app.addMiddleware(Opens);
    const server = await serve(app);
    try {
      expect((await fetch(`${server.url}/no-such-route`)).status).toBe(404);
      await within(closed.promise, 2000, "the dependency's finally");
    } finally {
      await server.close();
    }
  });

  it('sends the head of a streaming 204 at once and never runs its generator', async () => {
    let produced = 0;
    const app = new Application();
    app.get('/nothing', () =>
      new StreamingResponse(
        (async function* () {
          for (;;) {
            produced += 1;
            yield 'never sent';
            await sleep(5);
          }
        })(),
        { statusCode: 204 },
      ),
    );
    const server = await serve(app);
    try {
      const res = await within(fetch(`${server.url}/nothing`), 2000, 'the 204');
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      await sleep(30);
      expect(produced).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('keeps a multipart body readable after a middleware parsed it as a form', async () => {
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      req.state.title = (await req.form()).get('title');
      return callNext(req);
    });
    app.post('/', async (req) => ({ title: req.state.title, bytes: (await req.body()).byteLength > 0 }));
    await request(app.callback()).post('/').field('title', 'kept').expect(200).expect({ title: 'kept', bytes: true });
  });

  it('answers 413 to a large declared upload, then closes the connection after lingeringTimeout instead of waiting for the rest', async () => {
    const app = new Application({ maxBodySize: 1000, lingeringTimeout: 0.3 });
    app.post('/', async (req) => (await req.body()).byteLength);
    const server = await serve(app);
    try {
      const started = Date.now();
      const answer = await raw(server.url, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n${'x'.repeat(100)}`, 3000);
      expect(answer).toMatch(/^HTTP\/1\.1 413/);
      expect(Date.now() - started).toBeLessThan(2000); // closed by the server, not by raw()'s timer
    } finally {
      await server.close();
    }
  });

  it('answers an early PlainTextResponse to a large upload, then closes the connection after lingeringTimeout', async () => {
    const app = new Application({ lingeringTimeout: 0.3 });
    app.post('/', () => new PlainTextResponse('not reading that', { statusCode: 403 }));
    const server = await serve(app);
    try {
      const started = Date.now();
      const answer = await raw(server.url, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n${'x'.repeat(100)}`, 3000);
      expect(answer).toMatch(/^HTTP\/1\.1 403/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await server.close();
    }
  });
});

describe('regressions found in the review of the hot-path changes (second session)', () => {
  it('fails the endpoint when its result has a then getter that throws, as await would (dependency exit code sees the error)', async () => {
    const events: string[] = [];
    async function* functionScoped() {
      try {
        yield 'f';
        events.push('function exit: no error');
      } catch (error) {
        events.push(`function exit: ${(error as Error).message}`);
        throw error;
      }
    }
    const app = new Application({ logger: recordingLogger() });
    app.middleware('http')(async (req, callNext) => {
      await req.depends(functionScoped, { scope: 'function' });
      return callNext(req);
    });
    app.get('/', () =>
      Object.defineProperty({}, 'then', {
        get() {
          throw new Error('then getter');
        },
      }),
    );
    await request(app.callback()).get('/').expect(500);
    await sleep(20);
    expect(events).toEqual(['function exit: then getter']);
  });

  it('awaits a thenable that is a function, and reads a then getter once', async () => {
    const app = new Application();
    let reads = 0;
    app.get('/function', () => Object.assign(() => undefined, { then: (resolve: (v: unknown) => void) => resolve({ awaited: true }) }));
    app.get('/getter', () =>
      Object.defineProperty({}, 'then', {
        get() {
          reads += 1;
          return (resolve: (v: unknown) => void) => resolve({ reads });
        },
      }),
    );
    await request(app.callback()).get('/function').expect(200, { awaited: true });
    await request(app.callback()).get('/getter').expect(200, { reads: 1 });
  });

  it('accepts a header value that is not a string from JavaScript callers, as before the fast path', () => {
    const headers = new Headers();
    headers.set('x-maybe', undefined as unknown as string);
    headers.set('x-maybe', 'now set');
    expect(headers.get('x-maybe')).toBe('now set');
  });

  it('leaves a subclass its own checkResponse and next members', async () => {
    class Checking extends BaseHTTPMiddleware {
      next = 'mine';
      async dispatch(request: Request, callNext: CallNext): Promise<Response> {
        return (this as unknown as { checkResponse(r: Response): Response }).checkResponse(await callNext(request));
      }
    }
    Object.defineProperty(Checking.prototype, 'checkResponse', {
      value(response: Response): Response {
        response.headers.set('x-checked', 'yes');
        return response;
      },
    });
    const app = new Application();
    app.addMiddleware(Checking);
    app.get('/', () => new PlainTextResponse('x'));
    await request(app.callback()).get('/').expect(200).expect('x-checked', 'yes').expect('x');
  });

  it('judges a session cookie\'s age when the request came, and verifies the cookie as it came', async () => {
    const secretKey = 'example';
    let now = 1_000_000_000_000;
    const signed = new TimestampSigner(secretKey, () => now - 5_000).sign(Buffer.from('{"a": 1}').toString('base64'));
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      now += 11_000; // a slow request: the cookie expires while it runs
      (req.cookies as Record<string, string>).session = 'tampered';
      return callNext(req);
    });
    app.addMiddleware(SessionMiddleware, { secretKey, maxAge: 10, clock: () => now }); // the outer one
    app.get('/', (req) => new JSONResponse(req.session));
    await request(app.callback()).get('/').set('cookie', `session=${signed}`).expect(200, { a: 1 });
  });

  it('answers 500, logged once, when an exception handler resolves to something else than a Response (JavaScript)', async () => {
    for (const adapter of ['node', 'fetch'] as const) {
      const logger = recordingLogger();
      const app = new Application({ logger });
      app.exceptionHandler(418, (() => null) as unknown as () => Response);
      app.get('/', () => {
        throw new HTTPException(418);
      });
      if (adapter === 'node') {
        await within(request(app.callback()).get('/').expect(500), 5000, 'the node answer');
      } else {
        expect((await app.fetch(new globalThis.Request('http://localhost/'))).status).toBe(500);
      }
      expect(logger.errors.map((e) => String(e.error))).toEqual(['TypeError: The application resolved to null instead of a Response']);
    }
  });
});
