import { Agent, request as httpRequest } from 'node:http';
import { Application, BaseHTTPMiddleware, PlainTextResponse, type CallNext, type Request, type Response } from 'stackware';
import { recordingLogger, serve, within } from './helpers';

function get(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('faults', () => {
  it('under concurrent load, exactly the requests whose endpoint throws get 500 and all others succeed', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    for (let i = 0; i < 5; i++) {
      app.middleware('http')(async (request, callNext) => {
        const response = await callNext(request);
        response.headers.set(`x-layer-${i}`, '1');
        return response;
      });
    }
    app.get('/work/{n:int}', (request) => {
      if (request.queryParams.get('fail') === '1') throw new Error(`planned failure ${request.pathParams.n}`);
      return { n: request.pathParams.n };
    });
    const server = await serve(app);
    const agent = new Agent({ keepAlive: true, maxSockets: 50 });
    try {
      const total = 1500;
      const failing = new Set<number>();
      for (let n = 0; n < total; n++) if (Math.random() < 0.1) failing.add(n);
      const statuses = await within(
        Promise.all(Array.from({ length: total }, (_, n) => get(`${server.url}/work/${n}${failing.has(n) ? '?fail=1' : ''}`, agent))),
        20_000,
        'the load to finish',
      );
      const got500 = statuses.flatMap((status, n) => (status === 500 ? [n] : []));
      expect(got500.sort((a, b) => a - b)).toEqual([...failing].sort((a, b) => a - b));
      expect(statuses.filter((s) => s === 200)).toHaveLength(total - failing.size);
      expect(logger.errors).toHaveLength(failing.size);
    } finally {
      agent.destroy();
      await server.close();
    }
  });

  it.each([
    ['before', true],
    ['after', false],
  ])('turns a middleware that throws %s callNext into a 500, logs it once and keeps serving', async (_when, before) => {
    const logger = recordingLogger();
    class Faulty extends BaseHTTPMiddleware {
      async dispatch(request: Request, callNext: CallNext): Promise<Response> {
        if (request.path === '/boom' && before) throw new Error('middleware failed before');
        const response = await callNext(request);
        if (request.path === '/boom' && !before) throw new Error('middleware failed after');
        return response;
      }
    }
    const app = new Application({ logger });
    app.addMiddleware(Faulty);
    app.get('/boom', () => 'unreachable or discarded');
    app.get('/fine', () => 'fine');
    const server = await serve(app);
    try {
      const boom = await fetch(`${server.url}/boom`);
      expect(boom.status).toBe(500);
      expect(await boom.text()).toBe('Internal Server Error');
      expect(logger.errors).toHaveLength(1);
      expect(await (await fetch(`${server.url}/fine`)).json()).toBe('fine');
    } finally {
      await server.close();
    }
  });

  it('survives an endpoint that throws a non-Error value', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.get('/', () => {
      throw 'a string'; // eslint-disable-line no-throw-literal
    });
    const server = await serve(app);
    try {
      expect((await fetch(server.url)).status).toBe(500);
      expect(String(logger.errors[0].error)).toContain('a string');
    } finally {
      await server.close();
    }
  });

  it('answers 500 when an endpoint returns a value JSON cannot serialize', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.get('/', () => ({ big: BigInt(1) }));
    const server = await serve(app);
    try {
      expect((await fetch(server.url)).status).toBe(500);
      expect(logger.errors).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('answers 500 (not a crash) when the response fails only at write time', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.get('/', () => {
      const response = new PlainTextResponse('x');
      response.statusCode = 99; // Node refuses status codes below 100 at writeHead
      return response;
    });
    const server = await serve(app);
    try {
      expect((await fetch(server.url)).status).toBe(500);
      expect(logger.errors).toHaveLength(1);
      expect((await fetch(server.url)).status).toBe(500);
    } finally {
      await server.close();
    }
  });
});
