import request from 'supertest';
import {
  Application,
  BackgroundTasks,
  Headers,
  HTTPException,
  JSONResponse,
  PlainTextResponse,
  Request,
  StreamingResponse,
  TimeoutMiddleware,
  type HTTPApp,
  type RequestSource,
  type Response,
} from 'stackware';
import { recordingLogger, sleep, within } from '../helpers';

/** A promise and the functions that settle it. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A request that does not go through Node (for fake timers). */
function fakeRequest(): Request {
  const source: RequestSource = {
    method: 'GET',
    target: '/',
    scheme: 'http',
    headers: () => new Headers({ host: 'testserver' }),
    client: () => null,
    body: () => (async function* () {})(),
    onDisconnect: () => undefined,
  };
  return new Request(source);
}

describe('TimeoutMiddleware', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('passes a response that came in time through untouched', async () => {
    const app = new Application();
    app.addMiddleware(TimeoutMiddleware, { seconds: 1 });
    app.get('/', async () => {
      await sleep(10);
      return new PlainTextResponse('in time', { headers: { 'x-kept': 'yes' } });
    });
    await request(app.callback()).get('/').expect(200).expect('x-kept', 'yes').expect('in time');
  });

  it('answers 504 {"detail": "Gateway Timeout"} when no response came in time', async () => {
    const app = new Application();
    app.addMiddleware(TimeoutMiddleware, { seconds: 0.05 });
    app.get('/', () => new Promise(() => undefined)); // never settles
    const started = performance.now();
    await request(app.callback())
      .get('/')
      .expect(504)
      .expect('content-type', 'application/json')
      .expect({ detail: 'Gateway Timeout' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('aborts request.signal with a TimeoutError, so the endpoint can stop its work', async () => {
    const observed = deferred<{ name: string; message: string; stoppedEarly: boolean }>();
    const app = new Application();
    app.addMiddleware(TimeoutMiddleware, { seconds: 0.05 });
    app.get('/', async (r) => {
      const started = performance.now();
      // An endpoint that really stops: node:timers/promises would do the same with { signal }.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        r.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const reason = r.signal.reason as DOMException;
      observed.resolve({ name: reason.name, message: reason.message, stoppedEarly: performance.now() - started < 1000 });
      return 'too late';
    });
    await request(app.callback()).get('/').expect(504);
    expect(await within(observed.promise, 2000, 'the endpoint to see the abort')).toEqual({
      name: 'TimeoutError',
      message: 'The request took longer than 0.05 seconds',
      stoppedEarly: true,
    });
  });

  it('discards a late rejection without logging it or leaving it unhandled', async () => {
    const logger = recordingLogger();
    const late = deferred<never>();
    const app = new Application({ logger });
    app.addMiddleware(TimeoutMiddleware, { seconds: 0.05 });
    app.get('/', async (r) => {
      await new Promise((resolve) => r.signal.addEventListener('abort', resolve));
      late.resolve(undefined as never);
      throw new Error('failed after the timeout');
    });
    await request(app.callback()).get('/').expect(504);
    await within(late.promise, 2000, 'the endpoint to fail');
    await sleep(20); // let the rejection propagate; spec/setup.ts fails the test on an unhandled one
    expect(logger.errors).toEqual([]);
  });

  it('discards a late response and stops its streaming body', async () => {
    const logger = recordingLogger();
    const stopped = deferred<string>();
    const app = new Application({ logger });
    app.addMiddleware(TimeoutMiddleware, { seconds: 0.05 });
    app.get('/', async () => {
      await sleep(100);
      async function* body() {
        try {
          yield 'never sent';
        } finally {
          stopped.resolve('stopped');
        }
      }
      const stream = body();
      await stream.next(); // started, so that return() runs its finally
      return new StreamingResponse(stream);
    });
    const res = await request(app.callback()).get('/').expect(504);
    expect(res.body).toEqual({ detail: 'Gateway Timeout' });
    expect(await within(stopped.promise, 2000, 'the late body to be stopped')).toBe('stopped');
    expect(logger.errors).toEqual([]);
  });

  it('lets an error that came in time through, and an HTTPException become its response', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.addMiddleware(TimeoutMiddleware, { seconds: 1 });
    app.get('/error', () => {
      throw new Error('early failure');
    });
    app.get('/http', () => {
      throw new HTTPException(409, 'conflict');
    });
    const client = request(app.callback());
    await client.get('/error').expect(500);
    expect((logger.errors[0].error as Error).message).toBe('early failure');
    await client.get('/http').expect(409).expect({ detail: 'conflict' });
  });

  it("answers the timeout with the application's handler for 504 when there is one, keeping its background tasks", async () => {
    const handlerTask = deferred<string>();
    const app = new Application();
    app.exceptionHandler(504, (_r, error) => {
      const background = new BackgroundTasks();
      background.addTask(() => handlerTask.resolve('ran'));
      return new JSONResponse({ error: error.detail, retry: true }, { statusCode: 504, background });
    });
    app.addMiddleware(TimeoutMiddleware, { seconds: 0.05 });
    app.get('/', async () => {
      await sleep(80);
      return 'late';
    });
    await request(app.callback()).get('/').expect(504).expect({ error: 'Gateway Timeout', retry: true });
    expect(await within(handlerTask.promise, 2000, "the handler's background task")).toBe('ran');
  });

  it("runs the request's background tasks and dependency exit code only once the endpoint has settled", async () => {
    const events: string[] = [];
    const done = deferred<void>();
    const app = new Application();
    app.addMiddleware(TimeoutMiddleware, { seconds: 0.05 });
    async function* connection() {
      events.push('dependency open');
      try {
        yield 'connection';
      } finally {
        events.push('dependency closed');
        done.resolve();
      }
    }
    app.get('/', async (r) => {
      await r.depends(connection);
      r.backgroundTasks.addTask(() => events.push('background task'));
      await sleep(150); // ignores the signal and runs on past the timeout
      events.push('endpoint settled');
      return 'late';
    });
    await request(app.callback()).get('/').expect(504);
    events.push('504 received');
    await within(done.promise, 2000, 'the dependency exit code');
    expect(events).toEqual(['dependency open', '504 received', 'endpoint settled', 'background task', 'dependency closed']);
  });

  it('clears its timer when the response came in time, and when it did not', async () => {
    jest.useFakeTimers();
    const fast: HTTPApp = { handle: async () => new PlainTextResponse('fast') };
    const response = await new TimeoutMiddleware(fast, { seconds: 30 }).handle(fakeRequest());
    expect(response.statusCode).toBe(200);
    expect(jest.getTimerCount()).toBe(0);

    const never: HTTPApp = { handle: () => new Promise<Response>(() => undefined) };
    const req = fakeRequest();
    const pending = new TimeoutMiddleware(never, { seconds: 30 }).handle(req);
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(29_999);
    expect(req.signal.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect((await pending).statusCode).toBe(504);
    expect(req.signal.aborted).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('refuses a missing, zero, negative, non-finite or too large seconds', () => {
    const inner: HTTPApp = { handle: async () => new PlainTextResponse('') };
    for (const seconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 3_000_000, '5' as unknown as number]) {
      expect(() => new TimeoutMiddleware(inner, { seconds })).toThrow(RangeError);
    }
    expect(() => new TimeoutMiddleware(inner, undefined as unknown as { seconds: number })).toThrow(RangeError);
    expect(new TimeoutMiddleware(inner, { seconds: 2.5 }).timeoutMs).toBe(2500);
  });
});
