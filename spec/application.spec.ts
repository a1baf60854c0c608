import request from 'supertest';
import { Application, BaseHTTPMiddleware, HTTPException, JSONResponse, PlainTextResponse, type CallNext, type Request, type Response } from 'stackware';
import { recordingLogger, serve } from './helpers';

class TeapotError extends Error {}
class SpecialTeapotError extends TeapotError {}

describe('Application', () => {
  it('turns an HTTPException from an endpoint into {"detail": ...} with its status and headers before middleware sees it', async () => {
    const seen: number[] = [];
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      const response = await callNext(req);
      seen.push(response.statusCode);
      return response;
    });
    app.get('/', () => {
      throw new HTTPException(409, { reason: 'conflict' }, { 'x-error': 'yes' });
    });
    await request(app.callback()).get('/').expect(409).expect('x-error', 'yes').expect({ detail: { reason: 'conflict' } });
    expect(seen).toEqual([409]);
  });

  it('defaults the HTTPException detail to the reason phrase', async () => {
    const app = new Application();
    app.get('/', () => {
      throw new HTTPException(404);
    });
    await request(app.callback()).get('/').expect(404).expect({ detail: 'Not Found' });
  });

  it('answers an HTTPException with status 204 or 304 without a body', async () => {
    const app = new Application();
    app.get('/', () => {
      throw new HTTPException(304);
    });
    const res = await request(app.callback()).get('/').expect(304);
    expect(res.text).toBe('');
  });

  it('turns any other endpoint error into a plain-text 500 "Internal Server Error" and logs it once', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.get('/', () => {
      throw new Error('secret internals');
    });
    const res = await request(app.callback()).get('/').expect(500).expect('content-type', 'text/plain; charset=utf-8');
    expect(res.text).toBe('Internal Server Error');
    expect(logger.errors).toHaveLength(1);
    expect((logger.errors[0].error as Error).message).toBe('secret internals');
  });

  it('shows the stack trace in the 500 only with debug, as HTML when the client accepts it', async () => {
    const logger = recordingLogger();
    const app = new Application({ debug: true, logger });
    app.get('/', () => {
      throw new Error('visible <in> debug');
    });
    const client = request(app.callback());
    const plain = await client.get('/').expect(500).expect('content-type', 'text/plain; charset=utf-8');
    expect(plain.text).toContain('Error: visible <in> debug');
    expect(plain.text).toContain('application.spec.ts');
    const html = await client.get('/').set('Accept', 'text/html').expect(500).expect('content-type', 'text/html; charset=utf-8');
    expect(html.text).toContain('visible &#60;in&#62; debug');
    expect(html.text).toContain('<pre>');
  });

  it('uses a handler registered for a status code in place of the default', async () => {
    const app = new Application({
      exceptionHandlers: new Map([[404, (req: Request) => new PlainTextResponse(`no ${req.url.pathname}`, { statusCode: 404 })]]),
    });
    await request(app.callback()).get('/missing').expect(404).expect('no /missing');
  });

  it("answers the router's 404 and 405 with a registered handler, sync or async, and a handler's throw becomes the 500", async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.get('/items', () => ({ ok: true }));
    app.exceptionHandler(405, async (req: Request, error: Error) => {
      await new Promise((resolve) => setImmediate(resolve));
      return new PlainTextResponse(`${req.method} not allowed (${(error as HTTPException).headers ? 'with allow' : 'no allow'})`, { statusCode: 405 });
    });
    app.exceptionHandler(404, (req: Request) => {
      if (req.url.pathname === '/broken') throw new Error('404 handler broke');
      return new PlainTextResponse('custom 404', { statusCode: 404 });
    });
    await request(app.callback()).delete('/items').expect(405).expect('DELETE not allowed (with allow)');
    await request(app.callback()).get('/nope').expect(404).expect('custom 404');
    await request(app.callback()).get('/broken').expect(500).expect('Internal Server Error');
    expect(logger.errors.map((e) => (e.error as Error).message)).toEqual(['404 handler broke']);
  });

  it('uses a handler registered for an Error class, the most specific along the prototype chain', async () => {
    const app = new Application();
    app.exceptionHandler(TeapotError, (_req, error) => new JSONResponse({ teapot: error.message }, { statusCode: 418 }));
    app.exceptionHandler(SpecialTeapotError, () => new JSONResponse({ special: true }, { statusCode: 418 }));
    app.get('/plain', () => {
      throw new TeapotError('short and stout');
    });
    app.get('/special', () => {
      throw new SpecialTeapotError('x');
    });
    const client = request(app.callback());
    await client.get('/plain').expect(418).expect({ teapot: 'short and stout' });
    await client.get('/special').expect(418).expect({ special: true });
  });

  it('runs a class handler inside the middleware, so middleware sees its response', async () => {
    const seen: number[] = [];
    const app = new Application();
    app.exceptionHandler(TeapotError, () => new PlainTextResponse('handled', { statusCode: 418 }));
    app.middleware('http')(async (req, callNext) => {
      const response = await callNext(req);
      seen.push(response.statusCode);
      return response;
    });
    app.get('/', () => {
      throw new TeapotError();
    });
    await request(app.callback()).get('/').expect(418);
    expect(seen).toEqual([418]);
  });

  it('gives the server-error layer the handler registered for 500 or Error', async () => {
    for (const key of [500, Error] as const) {
      const logger = recordingLogger();
      const app = new Application({ logger });
      app.exceptionHandler(key as never, (_req: Request, error: Error) => new JSONResponse({ oops: error.message }, { statusCode: 500 }));
      app.middleware('http')(async (req, callNext) => callNext(req));
      app.get('/', () => {
        throw new Error('bad');
      });
      await request(app.callback()).get('/').expect(500).expect({ oops: 'bad' });
      expect(logger.errors).toHaveLength(1);
    }
  });

  it('falls back to the plain 500 when the 500 handler itself throws', async () => {
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.exceptionHandler(500, () => {
      throw new Error('handler broke');
    });
    app.get('/', () => {
      throw new Error('bad');
    });
    await request(app.callback()).get('/').expect(500).expect('Internal Server Error');
    expect(logger.errors.map((e) => (e.error as Error).message)).toEqual(['bad', 'handler broke']);
  });

  it('stacks, outermost first: server-error layer, user middleware, exception layer, router', async () => {
    // The user middleware sees the HTTPException as a response (exception layer inside it) and an
    // unhandled error as a rejection (server-error layer outside it).
    const observed: string[] = [];
    class Observer extends BaseHTTPMiddleware {
      async dispatch(req: Request, callNext: CallNext): Promise<Response> {
        try {
          const response = await callNext(req);
          observed.push(`response ${response.statusCode}`);
          return response;
        } catch (error) {
          observed.push(`rejection ${(error as Error).message}`);
          throw error;
        }
      }
    }
    const app = new Application({ logger: recordingLogger() });
    app.addMiddleware(Observer);
    app.get('/http', () => {
      throw new HTTPException(400);
    });
    app.get('/crash', () => {
      throw new Error('crash');
    });
    const client = request(app.callback());
    await client.get('/http').expect(400);
    await client.get('/crash').expect(500);
    await client.get('/nope').expect(404);
    expect(observed).toEqual(['response 400', 'rejection crash', 'response 404']);
  });

  it('listens on 127.0.0.1 and resolves to the listening http.Server', async () => {
    const app = new Application();
    app.get('/', () => ({ message: 'hello' }));
    const { server, url, close } = await serve(app);
    try {
      expect(server.listening).toBe(true);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(url);
      expect(await res.json()).toEqual({ message: 'hello' });
    } finally {
      await close();
    }
  });

  it('rejects listen when the port is taken', async () => {
    const first = new Application();
    const { server, close } = await serve(first);
    try {
      const port = (server.address() as { port: number }).port;
      await expect(new Application().listen(port, '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await close();
    }
  });

  it('sets request.app to the application', async () => {
    const app = new Application();
    app.get('/', (req) => ({ same: req.app === app }));
    await request(app.callback()).get('/').expect({ same: true });
  });
});
