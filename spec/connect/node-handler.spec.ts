// An Express 5 app mounted under /legacy with fromNodeHandler, behind stackware middleware.
import { gunzipSync } from 'node:zlib';
import compression from 'compression';
import express from 'express';
import session from 'express-session';
import {
  Application,
  BaseHTTPMiddleware,
  CORSMiddleware,
  GZipMiddleware,
  TimeoutMiddleware,
  RequestIdMiddleware,
  connectMiddleware,
  fromNodeHandler,
  type CallNext,
  type Request,
  type Response,
} from 'stackware';
import { requestBytes, within } from '../helpers';
import { servedPerTest } from './helpers';

const start = servedPerTest();

function legacyApp(): express.Express {
  const legacy = express();
  legacy.use(express.json());
  legacy.get('/hello', (_req, res) => {
    res.json({ hello: 'from express' });
  });
  legacy.get('/where/:id', (req, res) => {
    res.set('x-legacy', 'yes').json({ id: req.params.id, url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl, path: req.path });
  });
  legacy.post('/echo', (req, res) => {
    res.status(201).json({ got: req.body as unknown });
  });
  legacy.get('/cookie', (_req, res) => {
    res.cookie('legacy', '1').send('set');
  });
  legacy.get('/stream', (_req, res) => {
    res.type('text/plain');
    res.write('a'.repeat(2000));
    setTimeout(() => res.write('b'.repeat(2000)), 20);
    setTimeout(() => res.end('c'.repeat(2000)), 40);
  });
  legacy.get('/fail', () => {
    throw new Error('legacy failure');
  });
  legacy.use((_req, res) => {
    res.status(404).json({ legacy404: true });
  });
  legacy.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ legacyError: error.message });
  });
  return legacy;
}

class SetsCookie extends BaseHTTPMiddleware {
  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    response.setCookie('stackware', '1');
    return response;
  }
}

function app(): Application {
  const application = new Application();
  application.get('/new', () => ({ moved: true }));
  application.mount('/legacy', fromNodeHandler(legacyApp()));
  application.addMiddleware(SetsCookie);
  application.addMiddleware(RequestIdMiddleware);
  application.addMiddleware(CORSMiddleware, { allowOrigins: ['https://app.example'], exposeHeaders: ['x-request-id'] });
  return application;
}

describe('an Express 5 app mounted with fromNodeHandler', () => {
  it('answers its own routes under the prefix, with req.url relative, req.baseUrl the prefix and req.originalUrl the target', async () => {
    const server = await start(app());
    expect(await (await server.fetch('/legacy/hello')).json()).toEqual({ hello: 'from express' });
    const where = await server.fetch('/legacy/where/a%20b?q=1');
    expect(where.headers.get('x-legacy')).toBe('yes');
    expect(await where.json()).toEqual({ id: 'a b', url: '/where/a%20b?q=1', baseUrl: '/legacy', originalUrl: '/legacy/where/a%20b?q=1', path: '/where/a%20b' });
    expect(await (await server.fetch('/new')).json()).toEqual({ moved: true });
  });

  it('the stackware CORS, request id and cookie middleware outside apply to its answers', async () => {
    const server = await start(app());
    const response = await server.fetch('/legacy/cookie', { headers: { origin: 'https://app.example', 'x-request-id': 'abc-123' } });
    expect(await response.text()).toBe('set');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(response.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(response.headers.get('x-request-id')).toBe('abc-123');
    expect(response.headers.getSetCookie().map((c) => c.split(';')[0]).sort()).toEqual(['legacy=1', 'stackware=1']);
  });

  it('its own 404 and error handler answer, behind the stackware middleware', async () => {
    const server = await start(app());
    const missing = await server.fetch('/legacy/nope', { headers: { origin: 'https://app.example' } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ legacy404: true });
    expect(missing.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const failed = await server.fetch('/legacy/fail');
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ legacyError: 'legacy failure' });
    expect(failed.headers.get('x-request-id')).toMatch(/.+/);
  });

  it('reads a JSON POST with express.json() without hanging', async () => {
    const server = await start(app());
    const response = await server.fetch('/legacy/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ got: { x: 1 } });
  });

  it('streams an answer written over time', async () => {
    const server = await start(app());
    const response = await server.fetch('/legacy/stream');
    expect(response.headers.get('x-request-id')).toMatch(/.+/);
    expect(await response.text()).toBe('a'.repeat(2000) + 'b'.repeat(2000) + 'c'.repeat(2000));
  });

  it('under Connect compression outside the mount, its answer is compressed once', async () => {
    const application = app();
    application.addMiddleware(connectMiddleware(compression()));
    const server = await start(application);
    for (const path of ['/legacy/stream', '/legacy/where/1']) {
      const response = await within(requestBytes(server.url, { path, headers: { 'accept-encoding': 'gzip' } }), 5000, path);
      expect(response.headers['content-encoding']).toBe(path.endsWith('stream') ? 'gzip' : undefined);
      const body = response.headers['content-encoding'] === 'gzip' ? gunzipSync(response.body).toString() : response.body.toString();
      expect(body).toBe(path.endsWith('stream') ? 'a'.repeat(2000) + 'b'.repeat(2000) + 'c'.repeat(2000) : JSON.stringify({ id: '1', url: '/where/1', baseUrl: '/legacy', originalUrl: '/legacy/where/1', path: '/where/1' }));
    }
  });

  it('shares an express-session outside the mount with its own routes', async () => {
    const legacy = express();
    legacy.get('/visit', (req, res) => {
      const s = req.session as session.Session & { visits?: number };
      s.visits = (s.visits ?? 0) + 1;
      res.json({ visits: s.visits });
    });
    const application = new Application();
    application.mount('/legacy', fromNodeHandler(legacy));
    application.addMiddleware(connectMiddleware(session({ secret: 'a-test-secret', resave: false, saveUninitialized: false })));
    const server = await start(application);
    const first = await server.fetch('/legacy/visit');
    expect(await first.json()).toEqual({ visits: 1 });
    const cookie = first.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    expect(await (await server.fetch('/legacy/visit', { headers: { cookie } })).json()).toEqual({ visits: 2 });
  });

  it('answers HEAD with the head of its GET answer and no body', async () => {
    const server = await start(app());
    const head = await within(requestBytes(server.url, { path: '/legacy/hello', method: 'HEAD' }), 5000, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(JSON.stringify({ hello: 'from express' }).length));
    expect(head.body.byteLength).toBe(0);
  });

  it('under stackware GZipMiddleware outside, its streaming answer is compressed by it', async () => {
    const application = app();
    application.addMiddleware(GZipMiddleware, { minimumSize: 100 });
    const server = await start(application);
    const response = await within(requestBytes(server.url, { path: '/legacy/stream', headers: { 'accept-encoding': 'gzip' } }), 5000, 'gzip');
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(response.body).toString()).toBe('a'.repeat(2000) + 'b'.repeat(2000) + 'c'.repeat(2000));
  });

  it('a TimeoutMiddleware outside answers 504 for a slow handler, and its late answer is dropped', async () => {
    let late: Promise<boolean> | undefined;
    const application = new Application();
    application.mount(
      '/slow',
      fromNodeHandler((_req, res) => {
        late = new Promise((resolve) =>
          setTimeout(() => {
            const sent = res.headersSent;
            res.write('late');
            res.end();
            resolve(sent);
          }, 300),
        );
      }),
    );
    application.addMiddleware(TimeoutMiddleware, { seconds: 0.1 });
    const server = await start(application);
    const response = await server.fetch('/slow/x');
    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({ detail: 'Gateway Timeout' });
    expect(await within(late as Promise<boolean>, 2000, 'the late answer')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('an Express app without a 404 of its own falls through to stackware’s 404 (it is given next)', async () => {
    const bare = express();
    bare.get('/here', (_req, res) => {
      res.send('here');
    });
    const application = new Application();
    application.mount('/legacy', fromNodeHandler(bare));
    const server = await start(application);
    expect(await (await server.fetch('/legacy/here')).text()).toBe('here');
    const missing = await server.fetch('/legacy/missing');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Not Found' });
  });

  it('stops feeding a client that went away mid-stream; the handler sees res close and nothing escapes', async () => {
    let closed: () => void = () => undefined;
    const sawClose = new Promise<void>((resolve) => (closed = resolve));
    const application = new Application();
    application.mount(
      '/ticks',
      fromNodeHandler((_req, res) => {
        res.setHeader('content-type', 'text/plain');
        const timer = setInterval(() => res.write('tick\n'), 5);
        res.on('close', () => {
          clearInterval(timer);
          closed();
        });
      }),
    );
    const server = await start(application);
    const controller = new AbortController();
    const response = await fetch(`${server.url}/ticks/`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('tick');
    controller.abort();
    await within(sawClose, 3000, 'the handler to see res close');
  });

  it('a bare (req, res) listener mounted answers too', async () => {
    const application = new Application();
    application.mount(
      '/raw',
      fromNodeHandler((req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.end(`raw ${req.url}`);
      }),
    );
    const server = await start(application);
    expect(await (await server.fetch('/raw/x/y')).text()).toBe('raw /x/y');
  });
});
