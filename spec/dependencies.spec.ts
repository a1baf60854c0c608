import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Application,
  BaseHTTPMiddleware,
  DependencyScopeError,
  HTTPException,
  JSONResponse,
  PlainTextResponse,
  StreamingResponse,
  type CallNext,
  type Request,
  type Response,
} from 'stackware';
import { recordingLogger, serve, sleep, within } from './helpers';

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('dependencies', () => {
  it('resolves a dependency once per request, cached by its function', async () => {
    let calls = 0;
    const counter = async () => ++calls;
    const app = new Application();
    app.get('/', async (request) => ({ a: await request.depends(counter), b: await request.depends(counter) }));
    const server = await serve(app);
    try {
      expect(await (await fetch(server.url)).json()).toEqual({ a: 1, b: 1 });
      expect(await (await fetch(server.url)).json()).toEqual({ a: 2, b: 2 });
    } finally {
      await server.close();
    }
  });

  it('pins the whole order: middleware, setup, endpoint, function exit, middleware after, sent, tasks, request exit', async () => {
    const events: string[] = [];
    const layer = (name: string) =>
      class extends BaseHTTPMiddleware {
        async dispatch(request: Request, callNext: CallNext): Promise<Response> {
          events.push(`${name} before`);
          const response = await callNext(request);
          events.push(`${name} after`);
          return response;
        }
      };
    async function* database() {
      events.push('request dependency setup');
      yield 'db';
      events.push('request dependency exit');
    }
    async function* lock() {
      events.push('function dependency setup');
      yield 'lock';
      events.push('function dependency exit');
    }
    // The task waits until the client has the whole body: a task that ran first would deadlock.
    let clientHasBody: () => void = () => undefined;
    const received = new Promise<void>((resolve) => (clientHasBody = resolve));
    const app = new Application();
    app.addMiddleware(layer('inner'));
    app.addMiddleware(layer('outer'));
    app.get('/', async (request) => {
      await request.depends(database);
      await request.depends(lock, { scope: 'function' });
      events.push('endpoint');
      request.backgroundTasks.addTask(async () => {
        await received;
        events.push('background task');
      });
      const response = new PlainTextResponse('ok');
      return response;
    });
    const server = await serve(app);
    try {
      const res = await fetch(server.url);
      await res.text();
      events.push('response received by client');
      clientHasBody();
      await waitFor(() => events.includes('request dependency exit'), 'the request-scoped exit');
      expect(events).toEqual([
        'outer before',
        'inner before',
        'request dependency setup',
        'function dependency setup',
        'endpoint',
        'function dependency exit',
        'inner after',
        'outer after',
        'response received by client',
        'background task',
        'request dependency exit',
      ]);
    } finally {
      await server.close();
    }
  });

  it('lets a background task still use a request-scoped resource', async () => {
    const events: string[] = [];
    async function* session() {
      const resource = { open: true };
      yield resource;
      resource.open = false;
      events.push('closed');
    }
    const app = new Application();
    app.get('/', async (request) => {
      const resource = await request.depends(session);
      request.backgroundTasks.addTask(() => events.push(`task sees open=${resource.open}`));
      return 'ok';
    });
    const server = await serve(app);
    try {
      await (await fetch(server.url)).text();
      await waitFor(() => events.includes('closed'), 'the exit');
      expect(events).toEqual(['task sees open=true', 'closed']);
    } finally {
      await server.close();
    }
  });

  it('throws the endpoint error into the generator at its yield, for both scopes', async () => {
    const seen: string[] = [];
    const logger = recordingLogger();
    async function* requestScoped() {
      try {
        yield 1;
      } catch (error) {
        seen.push(`request scope caught ${(error as Error).message}`);
        throw error;
      }
    }
    async function* functionScoped() {
      try {
        yield 2;
      } catch (error) {
        seen.push(`function scope caught ${(error as Error).message}`);
        throw error;
      } finally {
        seen.push('function scope finally');
      }
    }
    const app = new Application({ logger });
    app.get('/', async (request) => {
      await request.depends(requestScoped);
      await request.depends(functionScoped, { scope: 'function' });
      throw new Error('endpoint failed');
    });
    const server = await serve(app);
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(500);
      await waitFor(() => seen.length === 3, 'both exits');
      expect(seen).toEqual(['function scope caught endpoint failed', 'function scope finally', 'request scope caught endpoint failed']);
      expect(logger.errors).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('sees an HTTPException from the endpoint in the exit code, and the client still gets its status', async () => {
    const seen: unknown[] = [];
    async function* dep() {
      try {
        yield 'v';
      } catch (error) {
        seen.push((error as HTTPException).statusCode);
        throw error;
      }
    }
    const app = new Application();
    app.get('/', async (request) => {
      await request.depends(dep);
      throw new HTTPException(404, 'Item not found');
    });
    const server = await serve(app);
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ detail: 'Item not found' });
      await waitFor(() => seen.length === 1, 'the exit');
      expect(seen).toEqual([404]);
    } finally {
      await server.close();
    }
  });

  it('cleans several dependencies up in reverse order of resolution', async () => {
    const events: string[] = [];
    const make = (name: string) =>
      async function* () {
        yield name;
        events.push(`exit ${name}`);
      };
    const a = make('a');
    const b = make('b');
    const c = make('c');
    const app = new Application();
    app.get('/', async (request) => {
      await request.depends(a);
      await request.depends(b);
      await request.depends(c);
      return 'ok';
    });
    const server = await serve(app);
    try {
      await (await fetch(server.url)).text();
      await waitFor(() => events.length === 3, 'the exits');
      expect(events).toEqual(['exit c', 'exit b', 'exit a']);
    } finally {
      await server.close();
    }
  });

  it('turns a function-scoped exit error into a 500 and logs a failing request-scoped exit without crashing', async () => {
    const logger = recordingLogger();
    async function* badFunctionExit() {
      yield 1;
      throw new Error('function exit failed');
    }
    async function* badRequestExit() {
      yield 1;
      throw new Error('request exit failed');
    }
    const app = new Application({ logger });
    app.get('/function', async (request) => {
      await request.depends(badFunctionExit, { scope: 'function' });
      return 'ok';
    });
    app.get('/request', async (request) => {
      await request.depends(badRequestExit);
      return 'ok';
    });
    const server = await serve(app);
    try {
      expect((await fetch(`${server.url}/function`)).status).toBe(500);
      const res = await fetch(`${server.url}/request`);
      expect(res.status).toBe(200);
      await waitFor(() => logger.errors.length === 2, 'the logged exit error');
      expect(logger.errors.map((e) => (e.error as Error).message)).toEqual(['function exit failed', 'request exit failed']);
    } finally {
      await server.close();
    }
  });

  it('accepts plain, async and sync-generator dependencies', async () => {
    const exits: string[] = [];
    function* syncGen() {
      yield 'sync';
      exits.push('sync exit');
    }
    const app = new Application();
    app.get('/', async (request) => ({
      plain: await request.depends(() => 'plain'),
      promise: await request.depends(async () => 'promise'),
      sync: await request.depends(syncGen),
    }));
    const server = await serve(app);
    try {
      expect(await (await fetch(server.url)).json()).toEqual({ plain: 'plain', promise: 'promise', sync: 'sync' });
      await waitFor(() => exits.length === 1, 'the sync exit');
    } finally {
      await server.close();
    }
  });
});

describe('dependencies when the endpoint raises: unwound before the response, their errors become it', () => {
  class CustomError extends Error {}

  async function* catchingDep(): AsyncGenerator<string> {
    try {
      yield 's';
    } catch (error) {
      if (error instanceof CustomError) throw new HTTPException(418, 'Session error');
      throw error;
    }
  }

  it('tests/test_dependency_after_yield_raise.py::test_catching: an HTTPException raised at the yield is the response', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.get('/catching', async (request) => {
      await request.depends(catchingDep);
      throw new CustomError('Simulated error during streaming');
    });
    const server = await serve(app);
    try {
      const res = await fetch(`${server.url}/catching`);
      expect(res.status).toBe(418);
      expect(await res.json()).toEqual({ detail: 'Session error' });
      await sleep(20);
      expect(logger.errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('tests/test_dependency_after_yield_raise.py::test_broken_no_raise: exit code failing after a success is logged, the 200 stands', async () => {
    const logger = recordingLogger();
    async function* brokenDep(): AsyncGenerator<string> {
      yield 's';
      throw new Error('Broken after yield');
    }
    const app = new Application({ logger });
    app.get('/broken', async (request) => {
      await request.depends(brokenDep);
      return { message: 'all good?' };
    });
    const server = await serve(app);
    try {
      const res = await fetch(`${server.url}/broken`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ message: 'all good?' });
      await waitFor(() => logger.errors.length === 1, 'the logged exit error');
      expect((logger.errors[0].error as Error).message).toBe('Broken after yield');
    } finally {
      await server.close();
    }
  });

  it('runs request-scoped exit code before the response when the endpoint raised, after it when the endpoint succeeded', async () => {
    const events: string[] = [];
    async function* session(): AsyncGenerator<string> {
      try {
        yield 'db';
      } finally {
        events.push('session exit');
      }
    }
    const app = new Application();
    app.addMiddleware(
      class extends BaseHTTPMiddleware {
        async dispatch(request: Request, callNext: CallNext): Promise<Response> {
          const response = await callNext(request);
          events.push(`middleware after (${response.statusCode})`);
          return response;
        }
      },
    );
    app.get('/fails', async (request) => {
      await request.depends(session);
      throw new HTTPException(404, 'Item not found');
    });
    app.get('/succeeds', async (request) => {
      await request.depends(session);
      return 'ok';
    });
    const server = await serve(app);
    try {
      const failed = await fetch(`${server.url}/fails`);
      expect(failed.status).toBe(404);
      expect(await failed.json()).toEqual({ detail: 'Item not found' });
      expect(events).toEqual(['session exit', 'middleware after (404)']);
      events.length = 0;
      await (await fetch(`${server.url}/succeeds`)).text();
      await waitFor(() => events.length === 2, 'the exit after the response');
      expect(events).toEqual(['middleware after (200)', 'session exit']);
    } finally {
      await server.close();
    }
  });

  it('still answers with the endpoint\'s error when exit code catches it without rethrowing (FastAPI: "Response not awaited")', async () => {
    async function* swallowing(): AsyncGenerator<string> {
      try {
        yield 's';
      } catch {
        // cleaned up, error not rethrown
      }
    }
    const app = new Application({ logger: recordingLogger() });
    app.get('/missing', async (request) => {
      await request.depends(swallowing);
      throw new HTTPException(404, 'Item not found');
    });
    app.get('/bug', async (request) => {
      await request.depends(swallowing, { scope: 'function' });
      throw new Error('a bug');
    });
    const server = await serve(app);
    try {
      const missing = await fetch(`${server.url}/missing`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ detail: 'Item not found' });
      expect((await fetch(`${server.url}/bug`)).status).toBe(500);
    } finally {
      await server.close();
    }
  });

  it('sends an error raised by exit code through the exception handlers registered for it', async () => {
    class ConflictError extends Error {}
    async function* transaction(): AsyncGenerator<string> {
      try {
        yield 'tx';
      } catch {
        throw new ConflictError('rolled back');
      }
    }
    const app = new Application({ logger: recordingLogger() });
    app.exceptionHandler(ConflictError, (_request, error) => new JSONResponse({ conflict: error.message }, { statusCode: 409 }));
    app.get('/', async (request) => {
      await request.depends(transaction);
      throw new Error('write failed');
    });
    const server = await serve(app);
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ conflict: 'rolled back' });
    } finally {
      await server.close();
    }
  });

  it('throws a function-scoped exit error into request-scoped exit code before the response (test_dependency_yield_scope.py::test_router_level_dep_scope_function)', async () => {
    const seen: string[] = [];
    async function* raiseAfterYield(): AsyncGenerator<undefined> {
      yield undefined;
      throw new HTTPException(503, 'Exception after yield');
    }
    async function* session(): AsyncGenerator<string> {
      try {
        yield 'db';
      } catch (error) {
        seen.push(`session saw ${String(error)}`);
        throw error;
      }
    }
    const app = new Application();
    app.get('/', async (request) => {
      await request.depends(session);
      await request.depends(raiseAfterYield, { scope: 'function' });
      return { status: 'ok' };
    });
    const server = await serve(app);
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ detail: 'Exception after yield' });
      expect(seen).toEqual(['session saw 503: Exception after yield']);
    } finally {
      await server.close();
    }
  });

  it('unwinds the dependencies when the endpoint value cannot be turned into JSON, before the 500', async () => {
    const logger = recordingLogger();
    const seen: string[] = [];
    async function* session(): AsyncGenerator<string> {
      try {
        yield 'db';
      } catch (error) {
        seen.push(`session saw ${(error as Error).name}`);
        throw error;
      }
    }
    const app = new Application({ logger });
    app.get('/', async (request) => {
      await request.depends(session);
      return { count: 1n };
    });
    const server = await serve(app);
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(500);
      expect(seen).toEqual(['session saw TypeError']);
      expect(logger.errors).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('dependency scopes', () => {
  class Session {
    open = true;
  }

  function* depSession(): Generator<Session> {
    const session = new Session();
    yield session;
    session.open = false;
  }

  /** A JSON body streamed after the response left: what the resources look like by then. */
  const streamJson = (read: () => unknown): StreamingResponse =>
    new StreamingResponse(
      (async function* () {
        yield JSON.stringify(read());
      })(),
      { mediaType: 'application/json' },
    );

  it('test_dependency_yield_scope.py::test_broken_scope: a request-scoped generator asking for a function-scoped dependency is refused, naming both', async () => {
    const logger = recordingLogger();
    const opened: string[] = [];
    function* depSessionTracked(): Generator<Session> {
      opened.push('depSession');
      yield* depSession();
    }
    async function* getNamedFuncSession(request: Request): AsyncGenerator<[string, Session]> {
      const session = await request.depends(depSessionTracked, { scope: 'function' });
      yield ['named', session];
    }
    const app = new Application({ logger });
    app.get('/broken-scope', async (request) => {
      await request.depends(getNamedFuncSession);
      return 'unreachable';
    });
    const server = await serve(app);
    try {
      const res = await fetch(`${server.url}/broken-scope`);
      expect(res.status).toBe(500);
      expect(logger.errors).toHaveLength(1);
      const error = logger.errors[0].error as Error;
      expect(error).toBeInstanceOf(DependencyScopeError);
      expect(error.message).toContain(
        'The dependency "getNamedFuncSession" has a scope of "request", it cannot depend on dependencies with scope "function"',
      );
      expect(error.message).toContain('"depSessionTracked"');
      expect(opened).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('refuses it also when the function-scoped dependency was resolved before, by the endpoint', async () => {
    const logger = recordingLogger();
    async function* audit(request: Request): AsyncGenerator<string> {
      await request.depends(depSession, { scope: 'function' });
      yield 'audit';
    }
    const app = new Application({ logger });
    app.get('/', async (request) => {
      await request.depends(depSession, { scope: 'function' });
      await request.depends(audit);
      return 'unreachable';
    });
    const server = await serve(app);
    try {
      expect((await fetch(server.url)).status).toBe(500);
      expect(logger.errors.map((e) => (e.error as Error).name)).toEqual(['DependencyScopeError']);
    } finally {
      await server.close();
    }
  });

  it('judges only the direct dependant: resolved side by side, or through a plain dependency, a function-scoped one is accepted', async () => {
    async function* requestScoped(): AsyncGenerator<string> {
      await sleep(5);
      yield 'request';
    }
    async function settings(request: Request): Promise<boolean> {
      return (await request.depends(depSession, { scope: 'function' })).open;
    }
    async function* usesSettings(request: Request): AsyncGenerator<boolean> {
      yield await request.depends(settings);
    }
    const app = new Application();
    app.get('/', async (request) => {
      const [value, session] = await Promise.all([request.depends(requestScoped), request.depends(depSession, { scope: 'function' })]);
      return { value, open: session.open, throughPlain: await request.depends(usesSettings) };
    });
    const server = await serve(app);
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ value: 'request', open: true, throughPlain: true });
    } finally {
      await server.close();
    }
  });

  it('test_dependency_yield_scope.py::test_two_scopes: one function in both scopes is two resolutions, the request-scoped one still open', async () => {
    const app = new Application();
    app.get('/two-scopes', async (request) => {
      const functionSession = await request.depends(depSession, { scope: 'function' });
      const requestSession = await request.depends(depSession);
      return streamJson(() => ({ funcIsOpen: functionSession.open, reqIsOpen: requestSession.open, same: functionSession === requestSession }));
    });
    const server = await serve(app);
    try {
      const res = await fetch(`${server.url}/two-scopes`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ funcIsOpen: false, reqIsOpen: true, same: false });
    } finally {
      await server.close();
    }
  });

  it('test_dependency_yield_scope.py::test_sub: a request-scoped generator may depend on a request-scoped dependency, the same object as the endpoint gets', async () => {
    async function* getNamedSession(request: Request): AsyncGenerator<{ named: Session; session: Session; same: boolean }> {
      const session = await request.depends(depSession, { scope: 'request' });
      const sessionB = await request.depends(depSession);
      const named = new Session();
      yield { named, session: sessionB, same: session === sessionB };
      named.open = false;
    }
    const app = new Application();
    app.get('/sub', async (request) => {
      const { named, session, same } = await request.depends(getNamedSession);
      return streamJson(() => ({ namedSessionOpen: named.open, sessionOpen: session.open, same }));
    });
    const server = await serve(app);
    try {
      expect(await (await fetch(`${server.url}/sub`)).json()).toEqual({ namedSessionOpen: true, sessionOpen: true, same: true });
    } finally {
      await server.close();
    }
  });

  it('test_dependency_yield_scope.py::test_named_function_scope and ::test_regular_function_scope: what may depend on a function-scoped dependency', async () => {
    async function* getNamedFuncSession(request: Request): AsyncGenerator<[Session, Session]> {
      const session = await request.depends(depSession, { scope: 'function' });
      const named = new Session();
      yield [named, session];
      named.open = false;
    }
    async function getNamedRegularFuncSession(request: Request): Promise<[Session, Session]> {
      return [new Session(), await request.depends(depSession, { scope: 'function' })];
    }
    const app = new Application();
    app.get('/named-function-scope', async (request) => {
      const [named, session] = await request.depends(getNamedFuncSession, { scope: 'function' });
      return streamJson(() => ({ namedSessionOpen: named.open, sessionOpen: session.open }));
    });
    app.get('/regular-function-scope', async (request) => {
      const [named, session] = await request.depends(getNamedRegularFuncSession);
      return streamJson(() => ({ namedSessionOpen: named.open, sessionOpen: session.open }));
    });
    const server = await serve(app);
    try {
      expect(await (await fetch(`${server.url}/named-function-scope`)).json()).toEqual({ namedSessionOpen: false, sessionOpen: false });
      expect(await (await fetch(`${server.url}/regular-function-scope`)).json()).toEqual({ namedSessionOpen: true, sessionOpen: false });
    } finally {
      await server.close();
    }
  });
});

describe('async context', () => {
  it('shows a value set with AsyncLocalStorage.run() in a middleware to the endpoint, its stream, dependency exit and background tasks', async () => {
    const storage = new AsyncLocalStorage<string>();
    const seen: Record<string, string | undefined> = {};
    async function* dependency() {
      seen.dependencySetup = storage.getStore();
      yield 1;
      seen.dependencyExit = storage.getStore();
    }
    const app = new Application();
    app.middleware('http')((request, callNext) => storage.run(`request-${request.queryParams.get('n')}`, () => callNext(request)));
    app.addMiddleware(
      class extends BaseHTTPMiddleware {
        async dispatch(request: Request, callNext: CallNext): Promise<Response> {
          return callNext(request);
        }
      },
    );
    app.get('/', async (request) => {
      await request.depends(dependency);
      seen.endpoint = storage.getStore();
      request.backgroundTasks.addTask(() => {
        seen.backgroundTask = storage.getStore();
      });
      return new StreamingResponse(
        (async function* () {
          await sleep(1);
          seen.streamBody = storage.getStore();
          yield 'done';
        })(),
      );
    });
    const server = await serve(app);
    try {
      await (await fetch(`${server.url}/?n=7`)).text();
      await waitFor(() => 'dependencyExit' in seen, 'the dependency exit');
      expect(seen).toEqual({
        dependencySetup: 'request-7',
        endpoint: 'request-7',
        streamBody: 'request-7',
        backgroundTask: 'request-7',
        dependencyExit: 'request-7',
      });
    } finally {
      await server.close();
    }
  });

  it('keeps concurrent requests\' contexts apart', async () => {
    const storage = new AsyncLocalStorage<string>();
    const app = new Application();
    app.middleware('http')((request, callNext) => storage.run(request.queryParams.get('id') ?? '', () => callNext(request)));
    app.get('/', async () => {
      await sleep(Math.random() * 20);
      return storage.getStore();
    });
    const server = await serve(app);
    try {
      const ids = Array.from({ length: 20 }, (_, i) => String(i));
      const answers = await within(Promise.all(ids.map(async (id) => (await fetch(`${server.url}/?id=${id}`)).json())), 5000, 'the answers');
      expect(answers).toEqual(ids);
    } finally {
      await server.close();
    }
  });
});
