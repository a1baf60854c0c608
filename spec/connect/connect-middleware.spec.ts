import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  Application,
  BaseHTTPMiddleware,
  HTTPException,
  JSONResponse,
  Middleware,
  PlainTextResponse,
  StreamingResponse,
  connectMiddleware,
  connectRequest,
  type CallNext,
  type ConnectNext,
  type Request,
  type Response,
} from 'stackware';
import { recordingLogger } from '../helpers';
import { servedPerTest } from './helpers';

const start = servedPerTest();

class Outer extends BaseHTTPMiddleware {
  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    response.headers.append('set-cookie', 'outer=1');
    response.headers.set('x-outer', 'seen');
    return response;
  }
}

describe('connectMiddleware', () => {
  it('continues the stack on next(), and the headers it set reach the client next to the response’s, set-cookie values kept apart', async () => {
    const app = new Application();
    app.addMiddleware(
      connectMiddleware(function setter(_req: IncomingMessage, res: ServerResponse, next: ConnectNext) {
        res.setHeader('x-connect', 'yes');
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.setHeader('x-both', 'connect');
        next();
      }),
    );
    app.addMiddleware(Outer);
    app.get('/', () => new PlainTextResponse('inner', { headers: { 'set-cookie': 'inner=1', 'x-both': 'stackware' } }));
    const { fetch } = await start(app);
    const response = await fetch('/');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('inner');
    expect(response.headers.get('x-connect')).toBe('yes');
    expect(response.headers.get('x-both')).toBe('stackware');
    expect(response.headers.get('x-outer')).toBe('seen');
    expect(response.headers.getSetCookie().sort()).toEqual(['a=1', 'b=2', 'inner=1', 'outer=1']);
  });

  it('when it answers itself, the client gets that answer, the inner layers never run, and the outer layers still add their headers', async () => {
    let innerRan = false;
    const app = new Application();
    app.addMiddleware(
      connectMiddleware((_req: IncomingMessage, res: ServerResponse) => {
        res.statusCode = 418;
        res.setHeader('content-type', 'text/plain');
        res.end('teapot');
      }),
    );
    app.addMiddleware(Outer);
    app.get('/', () => {
      innerRan = true;
      return 'no';
    });
    const { fetch } = await start(app);
    const response = await fetch('/');
    expect(response.status).toBe(418);
    expect(await response.text()).toBe('teapot');
    expect(response.headers.get('x-outer')).toBe('seen');
    expect(response.headers.getSetCookie()).toEqual(['outer=1']);
    expect(innerRan).toBe(false);
  });

  it('streams an answer it writes over time, chunk by chunk, with the outer headers', async () => {
    const app = new Application();
    app.addMiddleware(
      connectMiddleware((_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('one,');
        setTimeout(() => res.write('two,'), 20);
        setTimeout(() => res.end('three'), 40);
      }),
    );
    app.addMiddleware(Outer);
    const { fetch } = await start(app);
    const response = await fetch('/');
    expect(response.headers.get('x-outer')).toBe('seen');
    expect(response.headers.get('content-length')).toBeNull();
    expect(await response.text()).toBe('one,two,three');
  });

  it('next(err) travels the stack like a thrown error: a 4xx status becomes that HTTPException, others a 500 that is logged', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.addMiddleware(
      connectMiddleware((req: IncomingMessage, _res: ServerResponse, next: ConnectNext) => {
        if (req.url === '/teapot') return next(Object.assign(new Error('short and stout'), { status: 418, expose: true }));
        if (req.url === '/hidden') return next(Object.assign(new Error('secret'), { status: 403, expose: false }));
        if (req.url === '/throw') throw new Error('thrown');
        next(new Error('boom'));
      }),
    );
    const { fetch } = await start(app);
    const teapot = await fetch('/teapot');
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toEqual({ detail: 'short and stout' });
    const hidden = await fetch('/hidden');
    expect(await hidden.json()).toEqual({ detail: 'Forbidden' });
    expect((await fetch('/boom')).status).toBe(500);
    expect((await fetch('/throw')).status).toBe(500);
    expect(logger.errors.map((e) => (e.error as Error).message)).toEqual(['boom', 'thrown']);
  });

  it('an error handler registered for the error class answers next(err) from route middleware', async () => {
    class LegacyError extends Error {}
    const app = new Application();
    app.exceptionHandler(LegacyError, () => new JSONResponse({ legacy: true }, { statusCode: 409 }));
    app.get('/', () => 'no', { middleware: [connectMiddleware((_req: IncomingMessage, _res: ServerResponse, next: ConnectNext) => next(new LegacyError('x')))] });
    const { fetch } = await start(app);
    const response = await fetch('/');
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ legacy: true });
  });

  it('works as route middleware and with new Middleware(...), and what it adds to req is readable with connectRequest', async () => {
    const addUser = connectMiddleware(function addUser(req: IncomingMessage & { user?: string }, _res: ServerResponse, next: ConnectNext) {
      req.user = 'ann';
      next();
    });
    const app = new Application({ middleware: [new Middleware(addUser)] });
    app.get('/me', (request) => ({ user: connectRequest<{ user: string }>(request).user, scoped: connectRequest<{ scoped: boolean }>(request).scoped ?? false }), {
      middleware: [
        connectMiddleware((req: IncomingMessage & { scoped?: boolean }, _res: ServerResponse, next: ConnectNext) => {
          req.scoped = true;
          next();
        }),
      ],
    });
    const { fetch } = await start(app);
    expect(await (await fetch('/me')).json()).toEqual({ user: 'ann', scoped: true });
    expect(app.middlewareStack.map((layer) => layer.name)).toContain('ConnectMiddleware(addUser)');
  });

  it('sets req.originalUrl and res.locals as Express has them', async () => {
    const app = new Application();
    app.addMiddleware(
      connectMiddleware((req: IncomingMessage & { originalUrl?: string }, res: ServerResponse & { locals?: object }, next: ConnectNext) => {
        res.setHeader('x-seen', `${req.originalUrl} ${typeof res.locals}`);
        next();
      }),
    );
    app.get('/a', () => 'ok');
    const { fetch } = await start(app);
    expect((await fetch('/a?x=1')).headers.get('x-seen')).toBe('/a?x=1 object');
  });

  it('a stackware error after next() still carries the headers it set', async () => {
    const app = new Application();
    app.addMiddleware(
      connectMiddleware((_req: IncomingMessage, res: ServerResponse, next: ConnectNext) => {
        res.setHeader('x-frame-options', 'DENY');
        next();
      }),
    );
    app.get('/gone', () => {
      throw new HTTPException(410);
    });
    const { fetch } = await start(app);
    const response = await fetch('/gone');
    expect(response.status).toBe(410);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  it('a streaming stackware response passes through unbuffered', async () => {
    const app = new Application();
    app.addMiddleware(connectMiddleware((_req: IncomingMessage, _res: ServerResponse, next: ConnectNext) => next()));
    app.get('/stream', () =>
      new StreamingResponse(
        (async function* () {
          yield 'a';
          await new Promise((resolve) => setTimeout(resolve, 10));
          yield 'b';
        })(),
      ),
    );
    const { fetch } = await start(app);
    expect(await (await fetch('/stream')).text()).toBe('ab');
  });

  it('refuses an error-handling middleware (4 arguments) and a non-function, saying why', () => {
    const errorHandler = (_e: unknown, _q: unknown, _s: unknown, _n: unknown): undefined => undefined;
    expect(() => connectMiddleware(errorHandler as never)).toThrow(/exception handlers/);
    expect(() => connectMiddleware('x' as never)).toThrow(TypeError);
  });

  it('under app.fetch the request fails with a TypeError saying it needs the Node adapter', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.addMiddleware(connectMiddleware((_req: IncomingMessage, _res: ServerResponse, next: ConnectNext) => next()));
    app.get('/', () => 'ok');
    const response = await app.fetch(new globalThis.Request('http://localhost/'));
    expect(response.status).toBe(500);
    expect(String(logger.errors[0]?.error)).toMatch(/needs the Node adapter/);
  });
});
