import { request as httpRequest, type IncomingMessage } from 'node:http';
import {
  Application,
  BaseHTTPMiddleware,
  StreamingResponse,
  type CallNext,
  type Request,
  type Response,
} from 'stackware';
import { recordingLogger, serve, sleep, within, gate } from '../helpers';

/** A pass-through layer, so streams are proven to cross real BaseHTTPMiddleware layers. */
class PassThrough extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    response.headers.append('x-layers', '1');
    return response;
  }
}

function withLayers(count: number, app = new Application({ logger: recordingLogger() })): Application {
  for (let i = 0; i < count; i++) app.addMiddleware(PassThrough);
  return app;
}


function get(url: string, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

function nextData(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    res.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    res.once('error', reject);
  });
}

describe('node adapter: streaming', () => {
  it('sends the first chunk through 5 layers before the generator produces the second', async () => {
    const firstArrived = gate();
    const app = withLayers(5);
    app.get('/stream', () =>
      new StreamingResponse(
        (async function* () {
          yield 'chunk-1;';
          await firstArrived.promise; // only the client reading chunk 1 lets this continue
          yield 'chunk-2;';
        })(),
      ),
    );
    const server = await serve(app);
    try {
      const res = await within(get(server.url, '/stream'), 2000, 'the response head');
      expect(res.headers['x-layers']).toBe('1, 1, 1, 1, 1');
      expect(await within(nextData(res), 2000, 'chunk 1 before chunk 2 exists')).toBe('chunk-1;');
      firstArrived.open();
      expect(await within(nextData(res), 2000, 'chunk 2')).toBe('chunk-2;');
    } finally {
      firstArrived.open();
      await server.close();
    }
  });

  it('delivers server-sent events one by one through 10 layers', async () => {
    const gates = [gate(), gate(), gate()];
    const app = withLayers(10);
    app.get('/events', () =>
      new StreamingResponse(
        (async function* () {
          for (let i = 0; i < gates.length; i++) {
            yield `id: ${i}\ndata: event ${i}\n\n`;
            await gates[i].promise;
          }
        })(),
        { mediaType: 'text/event-stream', headers: { 'cache-control': 'no-cache' } },
      ),
    );
    const server = await serve(app);
    try {
      const res = await within(get(server.url, '/events'), 2000, 'the response head');
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      for (let i = 0; i < gates.length; i++) {
        expect(await within(nextData(res), 2000, `event ${i}`)).toBe(`id: ${i}\ndata: event ${i}\n\n`);
        gates[i].open();
      }
    } finally {
      for (const g of gates) g.open();
      await server.close();
    }
  });

  it('respects backpressure: a reader that does not read keeps the generator from running ahead', async () => {
    let produced = 0;
    const chunk = Buffer.alloc(64 * 1024, 120);
    const app = withLayers(5);
    app.get('/big', () =>
      new StreamingResponse(
        (async function* () {
          for (let i = 0; i < 2000; i++) {
            produced += 1;
            yield chunk;
          }
        })(),
      ),
    );
    const server = await serve(app);
    try {
      const res = await within(get(server.url, '/big'), 2000, 'the response head');
      res.pause();
      await sleep(300);
      const whilePaused = produced;
      // 2000 chunks is 125 MiB; with backpressure only socket and stream buffers fill up.
      expect(whilePaused).toBeLessThan(400);
      let received = 0;
      res.on('data', (c: Buffer) => (received += c.length));
      res.resume();
      await within(new Promise((resolve) => res.on('end', resolve)), 8000, 'the whole body');
      expect(received).toBe(2000 * chunk.length);
    } finally {
      await server.close();
    }
  });

  it('closes the connection when the generator throws mid-body, logs once and keeps serving', async () => {
    const logger = recordingLogger();
    const app = withLayers(2, new Application({ logger }));
    app.get('/broken', () =>
      new StreamingResponse(
        (async function* () {
          yield 'partial;';
          throw new Error('generator failed');
        })(),
      ),
    );
    app.get('/ok', () => 'still fine');
    const server = await serve(app);
    try {
      const res = await within(get(server.url, '/broken'), 2000, 'the response head');
      const outcome = await within(
        new Promise<string>((resolve) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(`ended: ${body}`));
          res.on('error', () => resolve(`truncated: ${body}`));
          res.on('aborted', () => resolve(`truncated: ${body}`));
        }),
        2000,
        'the truncated body',
      );
      expect(outcome).toBe('truncated: partial;');
      expect(logger.errors).toHaveLength(1);
      expect((logger.errors[0].error as Error).message).toBe('generator failed');
      expect(await (await fetch(`${server.url}/ok`)).json()).toBe('still fine');
    } finally {
      await server.close();
    }
  });
});

/** Reads a response to its end or its cut-off: `ended: body` or `truncated: body`. */
function readOutcome(res: IncomingMessage): Promise<string> {
  return new Promise<string>((resolve) => {
    let body = '';
    res.on('data', (c: Buffer) => (body += c.toString()));
    res.on('end', () => resolve(`ended: ${body}`));
    res.on('error', () => resolve(`truncated: ${body}`));
    res.on('aborted', () => resolve(`truncated: ${body}`));
  });
}

describe('node adapter: a streaming body that fails before its first chunk', () => {
  /** FastAPI's test's session: iterating it once it is closed raises. */
  class Session {
    open = true;
    *[Symbol.iterator](): Generator<string> {
      for (const item of ['foo', 'bar', 'baz']) {
        if (!this.open) throw new Error('Session closed');
        yield item;
      }
    }
  }

  function* brokenDepSession(): Generator<Session> {
    const session = new Session();
    session.open = false;
    try {
      yield session;
    } finally {
      session.open = false;
    }
  }

  it('test_dependency_after_yield_streaming.py::test_broken_session_stream_no_raise: the client gets 200 and its headers, then a cut-off body', async () => {
    const logger = recordingLogger();
    const app = withLayers(2, new Application({ logger }));
    app.get('/broken-session-stream', async (request) => {
      const session = await request.depends(brokenDepSession);
      return new StreamingResponse(
        (async function* () {
          yield* session;
        })(),
        { mediaType: 'text/plain' },
      );
    });
    app.get('/ok', () => 'still fine');
    const server = await serve(app);
    try {
      const res = await within(get(server.url, '/broken-session-stream'), 2000, 'the response head');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.headers['x-layers']).toBe('1, 1');
      expect(await within(readOutcome(res), 2000, 'the cut-off body')).toBe('truncated: ');
      expect(logger.errors).toHaveLength(1);
      expect((logger.errors[0].error as Error).message).toBe('Session closed');
      expect(await (await fetch(`${server.url}/ok`)).json()).toBe('still fine');
    } finally {
      await server.close();
    }
  });

  it('sends the head and cuts the body off when the body cannot even be opened', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    const unopenable: AsyncIterable<string> = {
      [Symbol.asyncIterator]() {
        throw new Error('cannot open the body');
      },
    };
    app.get('/', () => new StreamingResponse(unopenable, { statusCode: 201 }));
    const server = await serve(app);
    try {
      const res = await within(get(server.url, '/'), 2000, 'the response head');
      expect(res.statusCode).toBe(201);
      expect(await within(readOutcome(res), 2000, 'the cut-off body')).toBe('truncated: ');
      expect(logger.errors.map((e) => (e.error as Error).message)).toEqual(['cannot open the body']);
    } finally {
      await server.close();
    }
  });
});

describe('node adapter: client disconnects', () => {
  it('aborts request.signal and stops the generator (its finally runs) when the client goes away mid-stream', async () => {
    const logger = recordingLogger();
    const stopped = gate();
    let signal: AbortSignal | undefined;
    const app = withLayers(3, new Application({ logger }));
    app.get('/forever', (request) => {
      signal = request.signal;
      return new StreamingResponse(
        (async function* () {
          try {
            for (;;) {
              yield 'tick;';
              await sleep(5);
            }
          } finally {
            stopped.open();
          }
        })(),
      );
    });
    const server = await serve(app);
    try {
      const res = await within(get(server.url, '/forever'), 2000, 'the response head');
      await within(nextData(res), 2000, 'the first tick');
      res.destroy();
      await within(stopped.promise, 2000, "the generator's finally");
      expect(signal?.aborted).toBe(true);
      expect(logger.errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('aborts request.signal when the client disconnects before the response started', async () => {
    const aborted = gate();
    const app = new Application();
    app.get('/slow', async (request) => {
      request.signal.addEventListener('abort', () => aborted.open());
      await new Promise((resolve) => request.signal.addEventListener('abort', resolve));
      return 'too late';
    });
    const server = await serve(app);
    try {
      const req = httpRequest(`${server.url}/slow`, { agent: false });
      req.on('error', () => undefined);
      req.end();
      await sleep(50);
      req.destroy();
      await within(aborted.promise, 2000, 'request.signal to abort');
    } finally {
      await server.close();
    }
  });

  it('leaves no socket or timer behind after 200 aborted streams', async () => {
    const logger = recordingLogger();
    const app = withLayers(3, new Application({ logger }));
    let finallies = 0;
    app.get('/stream', () =>
      new StreamingResponse(
        (async function* () {
          try {
            for (;;) {
              yield 'x'.repeat(1024);
              await sleep(1);
            }
          } finally {
            finallies += 1;
          }
        })(),
      ),
    );
    const server = await serve(app);
    const count = (): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
      return counts;
    };
    try {
      const before = count();
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(
          Array.from({ length: 20 }, async () => {
            const res = await within(get(server.url, '/stream'), 2000, 'a stream head');
            await within(nextData(res), 2000, 'a first chunk');
            res.destroy();
          }),
        );
      }
      const deadline = Date.now() + 3000;
      while (finallies < 200 && Date.now() < deadline) await sleep(20);
      expect(finallies).toBe(200);
      let after = count();
      while (Date.now() < deadline && ((after.TCPSocketWrap ?? 0) > (before.TCPSocketWrap ?? 0) || (after.Timeout ?? 0) > (before.Timeout ?? 0))) {
        await sleep(20);
        after = count();
      }
      expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0);
      expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
      expect(logger.errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('node adapter: request bodies', () => {
  it('logs nothing at error level when the client disconnects in the middle of an upload', async () => {
    const logger = recordingLogger();
    const failed = gate();
    const app = new Application({ logger });
    app.post('/upload', async (request) => {
      try {
        return (await request.body()).byteLength;
      } catch (error) {
        failed.open();
        throw error;
      }
    });
    const server = await serve(app);
    try {
      const req = httpRequest(`${server.url}/upload`, { method: 'POST', agent: false, headers: { 'content-length': '100000' } });
      req.on('error', () => undefined);
      req.write('x'.repeat(1000));
      await sleep(50);
      req.destroy();
      await within(failed.promise, 2000, 'the body read to fail');
      await sleep(50);
      expect(logger.errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
