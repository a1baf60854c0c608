import { BackgroundTasks, Application, JSONResponse, PlainTextResponse, Response, type Request } from 'stackware';
import { recordingLogger, serve, sleep, within, gate } from './helpers';


describe('background tasks', () => {
  it('runs after the response was completely sent: the client has the whole body while the task still sleeps', async () => {
    const release = gate();
    const events: string[] = [];
    const app = new Application();
    app.get('/', () => {
      const background = new BackgroundTasks();
      background.addTask(async () => {
        events.push('task started');
        await release.promise;
        events.push('task finished');
      });
      return new JSONResponse({ big: 'x'.repeat(100_000) }, { background });
    });
    const server = await serve(app);
    try {
      const res = await within(fetch(server.url), 2000, 'the response');
      const body = (await within(res.json(), 2000, 'the whole body')) as { big: string };
      expect(body.big).toHaveLength(100_000);
      expect(events).not.toContain('task finished');
      release.open();
      const deadline = Date.now() + 2000;
      while (!events.includes('task finished') && Date.now() < deadline) await sleep(5);
      expect(events).toEqual(['task started', 'task finished']);
    } finally {
      release.open();
      await server.close();
    }
  });

  it('runs after every middleware has finished, in the order added, the request\'s after the response\'s', async () => {
    const events: string[] = [];
    const done = gate();
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      const response = await callNext(req);
      await sleep(20);
      events.push('middleware after');
      return response;
    });
    app.get('/', (request) => {
      request.backgroundTasks.addTask((name: string) => events.push(name), 'request task 1');
      request.backgroundTasks.addTask(() => {
        events.push('request task 2');
        done.open();
      });
      const background = new BackgroundTasks();
      background.addTask((name: string) => events.push(name), 'response task 1');
      background.addTask((name: string) => events.push(name), 'response task 2');
      return new PlainTextResponse('ok', { background });
    });
    const server = await serve(app);
    try {
      await (await fetch(server.url)).text();
      await within(done.promise, 2000, 'the tasks');
      expect(events).toEqual(['middleware after', 'response task 1', 'response task 2', 'request task 1', 'request task 2']);
    } finally {
      await server.close();
    }
  });

  it('logs a failing task, runs the next one, and leaves other requests alone', async () => {
    const logger = recordingLogger();
    const ran = gate();
    const app = new Application({ logger });
    app.get('/', (request) => {
      request.backgroundTasks.addTask(() => {
        throw new Error('task exploded');
      });
      request.backgroundTasks.addTask(() => ran.open());
      return 'ok';
    });
    app.get('/other', () => 'other');
    const server = await serve(app);
    try {
      expect(await (await fetch(server.url)).json()).toBe('ok');
      await within(ran.promise, 2000, 'the second task');
      expect(logger.errors).toHaveLength(1);
      expect((logger.errors[0].error as Error).message).toBe('task exploded');
      expect(await (await fetch(`${server.url}/other`)).json()).toBe('other');
    } finally {
      await server.close();
    }
  });

  it('runs a task set as the response background only once even when it is request.backgroundTasks', async () => {
    let runs = 0;
    const done = gate();
    const app = new Application();
    app.get('/', (request) => {
      request.backgroundTasks.addTask(() => {
        runs += 1;
        done.open();
      });
      return new PlainTextResponse('ok', { background: request.backgroundTasks });
    });
    const server = await serve(app);
    try {
      await (await fetch(server.url)).text();
      await within(done.promise, 2000, 'the task');
      await sleep(30);
      expect(runs).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('background task errors and the server-error handler', () => {
  it('tests/middleware/test_errors.py::test_background_task: the 500/Error handler is called for a failing task, after it is logged', async () => {
    const logger = recordingLogger();
    const handled = gate();
    const seen: string[] = [];
    const app = new Application({
      logger,
      exceptionHandlers: new Map([
        [
          Error,
          (request: Request, error: Error) => {
            seen.push(`handler: ${request.method} ${request.url.pathname} ${error.message}, logged before: ${logger.errors.length}`);
            handled.open();
            return new PlainTextResponse('discarded', { statusCode: 500 });
          },
        ],
      ]),
    });
    app.get('/', () => {
      const background = new BackgroundTasks();
      background.addTask(() => {
        throw new Error('Something went wrong');
      });
      return new Response(null, { statusCode: 204, background });
    });
    const server = await serve(app);
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      await within(handled.promise, 2000, 'the handler');
      expect(seen).toEqual(['handler: GET / Something went wrong, logged before: 1']);
      expect(logger.errors.map((e) => e.message)).toEqual(['Background task failed']);
    } finally {
      await server.close();
    }
  });

  it('calls the handler registered for 500 for request.backgroundTasks and for exit code failing after the response, then runs the next task', async () => {
    const logger = recordingLogger();
    const handled: string[] = [];
    const app = new Application({ logger });
    app.exceptionHandler(500, (_request, error) => {
      handled.push(error.message);
      return new PlainTextResponse('discarded', { statusCode: 500 });
    });
    async function* dependency(): AsyncGenerator<string> {
      yield 'resource';
      throw new Error('exit failed');
    }
    app.get('/', async (request) => {
      await request.depends(dependency);
      request.backgroundTasks.addTask(() => {
        throw new Error('task failed');
      });
      request.backgroundTasks.addTask(() => handled.push('next task ran'));
      return 'ok';
    });
    const server = await serve(app);
    try {
      expect(await (await fetch(server.url)).json()).toBe('ok');
      const deadline = Date.now() + 2000;
      while (handled.length < 3 && Date.now() < deadline) await sleep(5);
      expect(handled).toEqual(['task failed', 'next task ran', 'exit failed']);
      expect(logger.errors.map((e) => e.message)).toEqual(['Background task failed', 'Dependency exit code failed']);
    } finally {
      await server.close();
    }
  });

  it('logs a handler that fails on a task error, and calls no handler in debug mode (as Starlette)', async () => {
    const failing = recordingLogger();
    const app = new Application({ logger: failing });
    app.exceptionHandler(Error, () => {
      throw new Error('handler broke');
    });
    const debugLogger = recordingLogger();
    let debugHandlerCalls = 0;
    const debugApp = new Application({ logger: debugLogger, debug: true });
    debugApp.exceptionHandler(Error, () => {
      debugHandlerCalls += 1;
      return new PlainTextResponse('discarded', { statusCode: 500 });
    });
    for (const each of [app, debugApp]) {
      each.get('/', (request) => {
        request.backgroundTasks.addTask(() => {
          throw new Error('task failed');
        });
        return 'ok';
      });
    }
    const server = await serve(app);
    const debugServer = await serve(debugApp);
    try {
      await (await fetch(server.url)).text();
      await (await fetch(debugServer.url)).text();
      const deadline = Date.now() + 2000;
      while ((failing.errors.length < 2 || debugLogger.errors.length < 1) && Date.now() < deadline) await sleep(5);
      expect(failing.errors.map((e) => [e.message, (e.error as Error).message])).toEqual([
        ['Background task failed', 'task failed'],
        ['The 500 exception handler itself failed', 'handler broke'],
      ]);
      await sleep(20);
      expect(debugLogger.errors.map((e) => e.message)).toEqual(['Background task failed']);
      expect(debugHandlerCalls).toBe(0);
    } finally {
      await server.close();
      await debugServer.close();
    }
  });

  it('calls the handler through app.fetch as well', async () => {
    const logger = recordingLogger();
    const handled = gate();
    const app = new Application({ logger });
    app.exceptionHandler(Error, () => {
      handled.open();
      return new PlainTextResponse('discarded', { statusCode: 500 });
    });
    app.get('/', () => new PlainTextResponse('ok', { background: new BackgroundTasks([() => Promise.reject(new Error('task failed'))]) }));
    const res = await app.fetch(new globalThis.Request('http://localhost/'));
    expect(await res.text()).toBe('ok');
    await within(handled.promise, 2000, 'the handler');
    expect(logger.errors).toHaveLength(1);
  });
});
