import { Application, BackgroundTasks, PlainTextResponse, StreamingResponse, createFetchHandler, type HTTPApp } from 'stackware';
import { recordingLogger, sleep, within } from '../helpers';
import { eventually } from './shared-cases';

const decoder = new TextDecoder();

function quietApp(): Application & { logger: ReturnType<typeof recordingLogger> } {
  return new Application({ logger: recordingLogger() }) as Application & { logger: ReturnType<typeof recordingLogger> };
}

/** A web stream whose chunks the test pushes by hand. */
function pushStream(): { stream: ReadableStream<Uint8Array>; push(text: string): void; close(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return { stream, push: (text) => controller.enqueue(new TextEncoder().encode(text)), close: () => controller.close() };
}

describe('app.fetch', () => {
  it('is bound, so it can be handed around as a plain function', async () => {
    const app = quietApp();
    app.get('/', () => 'ok');
    const { fetch: handler } = app;
    const res = await handler(new Request('http://localhost/'));
    expect(await res.json()).toBe('ok');
  });

  it('pulls a streaming body lazily: one chunk per read, none ahead', async () => {
    const produced: number[] = [];
    const app = quietApp();
    app.get('/count', () =>
      new StreamingResponse(
        (async function* () {
          for (let i = 0; i < 100; i++) {
            produced.push(i);
            yield `${i},`;
          }
        })(),
      ),
    );
    const res = await app.fetch(new Request('http://localhost/count'));
    await sleep(20);
    expect(produced).toEqual([]);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(decoder.decode((await reader.read()).value)).toBe('0,');
    await sleep(20);
    expect(produced).toEqual([0]);
    expect(decoder.decode((await reader.read()).value)).toBe('1,');
    expect(produced).toEqual([0, 1]);
    await reader.cancel();
  });

  it('stops the body iterator when the consumer cancels, then runs the background tasks', async () => {
    const events: string[] = [];
    const app = quietApp();
    app.get('/endless', () => {
      const tasks = new BackgroundTasks([() => events.push('background')]);
      return new StreamingResponse(
        (async function* () {
          try {
            for (;;) yield 'tick\n';
          } finally {
            await sleep(5);
            events.push('iterator stopped');
          }
        })(),
        { background: tasks },
      );
    });
    const res = await app.fetch(new Request('http://localhost/endless'));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    await eventually(() => expect(events).toEqual(['iterator stopped', 'background']));
  });

  it('runs background tasks only once the fixed body has been read', async () => {
    const ran: string[] = [];
    const app = quietApp();
    app.get('/', (request) => {
      request.backgroundTasks.addTask(() => ran.push('task'));
      return new PlainTextResponse('body');
    });
    const res = await app.fetch(new Request('http://localhost/'));
    await sleep(20);
    expect(ran).toEqual([]);
    expect(res.headers.get('content-length')).toBe('4');
    expect(await res.text()).toBe('body');
    await eventually(() => expect(ran).toEqual(['task']));
  });

  it('runs request-scoped dependency exit code after the body, also for HEAD', async () => {
    const events: string[] = [];
    const app = quietApp();
    function* resource(): Generator<string> {
      events.push('enter');
      yield 'r';
      events.push('exit');
    }
    app.get('/', async (request) => ({ value: await request.depends(resource) }));
    const res = await app.fetch(new Request('http://localhost/', { method: 'HEAD' }));
    expect(res.body).toBeNull();
    expect(res.headers.get('content-length')).toBe('13');
    await eventually(() => expect(events).toEqual(['enter', 'exit']));
  });

  it('reads the request body from the web stream as it arrives', async () => {
    const seen: string[] = [];
    const app = quietApp();
    app.post('/upload', async (request) => {
      for await (const chunk of request.stream()) seen.push(decoder.decode(chunk));
      return { chunks: seen.length };
    });
    const body = pushStream();
    const pending = app.fetch(new Request('http://localhost/upload', { method: 'POST', body: body.stream, duplex: 'half' } as RequestInit));
    body.push('first');
    await eventually(() => expect(seen).toEqual(['first']));
    body.push('second');
    body.close();
    const res = await within(pending, 2000, 'the response');
    expect(await res.json()).toEqual({ chunks: 2 });
    expect(seen).toEqual(['first', 'second']);
  });

  it('cancels the request stream when the body is refused as too large', async () => {
    let cancelled = false;
    const app = new Application({ maxBodySize: 4, logger: recordingLogger() });
    app.post('/upload', async (request) => (await request.body()).byteLength);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(3));
      },
      cancel() {
        cancelled = true;
      },
    });
    const res = await app.fetch(new Request('http://localhost/upload', { method: 'POST', body: stream, duplex: 'half' } as RequestInit));
    expect(res.status).toBe(413);
    expect(cancelled).toBe(true);
  });

  it('aborts request.signal and reports request.disconnected when the web request’s signal aborts', async () => {
    const app = quietApp();
    const aborted: string[] = [];
    let seen: { disconnected: boolean } | undefined;
    app.get('/wait', (request) => {
      seen = request;
      request.signal.addEventListener('abort', () => aborted.push('aborted'));
      return new StreamingResponse(
        (async function* () {
          yield 'start';
          await new Promise((resolve) => request.signal.addEventListener('abort', resolve));
        })(),
      );
    });
    const controller = new AbortController();
    const res = await app.fetch(new Request('http://localhost/wait', { signal: controller.signal }));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    expect(seen?.disconnected).toBe(false);
    controller.abort();
    expect(aborted).toEqual(['aborted']);
    expect(seen?.disconnected).toBe(true);
    await reader.cancel();
  });

  it('does not abort request.signal once the response was delivered', async () => {
    const app = quietApp();
    let signal: AbortSignal | undefined;
    let seen: { disconnected: boolean } | undefined;
    app.get('/', (request) => {
      signal = request.signal;
      seen = request;
      return 'done';
    });
    const controller = new AbortController();
    const res = await app.fetch(new Request('http://localhost/', { signal: controller.signal }));
    await res.text();
    controller.abort();
    expect(signal?.aborted).toBe(false);
    expect(seen?.disconnected).toBe(false);
  });

  it('errors the web stream when the body fails mid-way, logs once and still runs the tasks', async () => {
    const app = quietApp();
    const ran: string[] = [];
    app.get('/broken', () =>
      new StreamingResponse(
        (async function* () {
          yield 'partial';
          throw new Error('disk on fire');
        })(),
        { background: new BackgroundTasks([() => ran.push('task')]) },
      ),
    );
    const res = await app.fetch(new Request('http://localhost/broken'));
    await expect(res.text()).rejects.toThrow('disk on fire');
    expect(app.logger.errors).toHaveLength(1);
    await eventually(() => expect(ran).toEqual(['task']));
  });

  it('answers with the status and headers when the body fails before its first chunk, then errors the stream (as the node adapter)', async () => {
    const app = quietApp();
    app.get('/broken', () =>
      new StreamingResponse(
        (async function* () {
          throw new Error('Session closed');
        })(),
        { mediaType: 'text/plain' },
      ),
    );
    const res = await app.fetch(new Request('http://localhost/broken'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    await expect(res.text()).rejects.toThrow('Session closed');
    expect(app.logger.errors).toHaveLength(1);
  });

  it('answers HEAD on a streaming route without a body and stops the iterator', async () => {
    const app = quietApp();
    const calls: string[] = [];
    const body: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          calls.push('next');
          return { done: false, value: 'never read' };
        },
        return: async () => {
          calls.push('return');
          return { done: true, value: undefined };
        },
      }),
    };
    app.get('/stream', () => new StreamingResponse(body));
    const res = await app.fetch(new Request('http://localhost/stream', { method: 'HEAD' }));
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    await eventually(() => expect(calls).toEqual(['return']));
  });

  it('keeps the web request’s scheme and host', async () => {
    const app = quietApp();
    app.get('/', (request) => ({ url: request.url.href, scheme: request.url.protocol, client: request.client }));
    const res = await app.fetch(new Request('https://api.example.com:8443/?q=1'));
    expect(await res.json()).toEqual({ url: 'https://api.example.com:8443/?q=1', scheme: 'https:', client: null });
  });

  it('answers a plain-text 500 when the app itself rejects', async () => {
    const logger = recordingLogger();
    const broken: HTTPApp = { handle: () => Promise.reject(new Error('broken app')) };
    const res = await createFetchHandler(broken, logger)(new Request('http://localhost/'));
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('Internal Server Error');
    expect(logger.errors).toHaveLength(1);
  });
});

describe('the Fetch adapter and websockets', () => {
  it('answers a websocket handshake 501 with a message saying what serves websockets, before the stack', async () => {
    const app = quietApp();
    let reached = false;
    app.middleware('http')((request, callNext) => {
      reached = true;
      return callNext(request);
    });
    app.websocket('/ws', async (ws) => ws.accept());
    const res = await app.fetch(
      new globalThis.Request('http://localhost/ws', { headers: { upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } }),
    );
    expect(res.status).toBe(501);
    expect(await res.text()).toMatch(/not supported by the Fetch adapter.*app\.listen\(\)/);
    expect(reached).toBe(false);
    expect((await app.fetch(new globalThis.Request('http://localhost/ws'))).status).toBe(404);
  });
});
