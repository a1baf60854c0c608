// The Express/Connect middleware of the issue, each the real package, each over a real socket.
import { gunzipSync } from 'node:zlib';
import bodyParser from 'body-parser';
import compression from 'compression';
import cors from 'cors';
import helmet from 'helmet';
import morgan from 'morgan';
import multer from 'multer';
import { APIRouter, Application, BaseHTTPMiddleware, Middleware, PlainTextResponse, connectMiddleware, connectRequest, type CallNext, type Request, type Response } from 'stackware';
import { requestBytes, within } from '../helpers';
import { servedPerTest } from './helpers';

const start = servedPerTest();

describe('helmet', () => {
  it('adds its security headers to the response a stackware route answers', async () => {
    const app = new Application();
    app.addMiddleware(connectMiddleware(helmet()));
    app.get('/', () => 'ok');
    const { fetch } = await start(app);
    const response = await fetch('/');
    expect(await response.json()).toBe('ok');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});

describe('morgan', () => {
  it('logs the status the stackware route answered and the path asked for, once the response is sent', async () => {
    const lines: string[] = [];
    const app = new Application();
    app.addMiddleware(connectMiddleware(morgan(':method :url :status :res[content-length]', { stream: { write: (line: string) => void lines.push(line.trim()) } })));
    app.post('/items/{id}', () => new PlainTextResponse('made', { statusCode: 201 }));
    const { fetch } = await start(app);
    expect((await fetch('/items/7?x=1', { method: 'POST' })).status).toBe(201);
    await within(
      (async () => {
        while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      2000,
      'the morgan line',
    );
    expect(lines).toEqual(['POST /items/7?x=1 201 4']);
  });
});

describe('cors', () => {
  it('answers a preflight itself (the route never runs) and adds allow-origin to a stackware answer', async () => {
    let ran = 0;
    const app = new Application();
    app.addMiddleware(connectMiddleware(cors({ origin: 'https://app.example', credentials: true })));
    app.route(
      '/data',
      () => {
        ran++;
        return { data: 1 };
      },
      { methods: ['GET', 'PUT'] },
    );
    const { fetch } = await start(app);
    const preflight = await fetch('/data', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(ran).toBe(0);
    const simple = await fetch('/data', { headers: { origin: 'https://app.example' } });
    expect(await simple.json()).toEqual({ data: 1 });
    expect(simple.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(simple.headers.get('access-control-allow-credentials')).toBe('true');
    expect(simple.headers.get('vary')).toContain('Origin');
    expect(ran).toBe(1);
  });
});

describe('compression', () => {
  it('gzips a stackware answer once, and leaves a small one alone', async () => {
    const big = 'stackware '.repeat(500);
    const app = new Application();
    app.addMiddleware(connectMiddleware(compression()));
    app.get('/big', () => new PlainTextResponse(big));
    app.get('/small', () => new PlainTextResponse('tiny'));
    const { url } = await start(app);
    const compressed = await within(requestBytes(url, { path: '/big', headers: { 'accept-encoding': 'gzip' } }), 5000, '/big');
    expect(compressed.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(compressed.body).toString()).toBe(big);
    const small = await within(requestBytes(url, { path: '/small', headers: { 'accept-encoding': 'gzip' } }), 5000, '/small');
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body.toString()).toBe('tiny');
  });
});

class ReadsJsonFirst extends BaseHTTPMiddleware {
  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    if (request.method === 'POST') request.state.seenByStackware = await request.json();
    return callNext(request);
  }
}

describe('body-parser', () => {
  function app(): Application {
    const application = new Application();
    application.post(
      '/json',
      async (request) => ({ parsed: connectRequest<{ body: unknown }>(request).body, again: await request.json(), state: request.state.seenByStackware ?? null }),
      { middleware: [connectMiddleware(bodyParser.json())] },
    );
    application.post('/form', async (request) => ({ parsed: connectRequest<{ body: unknown }>(request).body, text: await request.text() }), {
      middleware: [connectMiddleware(bodyParser.urlencoded({ extended: false }))],
    });
    return application;
  }

  it('parses a JSON POST without hanging, and the endpoint reads the same body with request.json()', async () => {
    const { fetch } = await start(app());
    const response = await fetch('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: [1, 2] }) });
    expect(await response.json()).toEqual({ parsed: { a: [1, 2] }, again: { a: [1, 2] }, state: null });
  });

  it('parses a body stackware read before it (no hang, no loss)', async () => {
    const application = app();
    application.addMiddleware(ReadsJsonFirst);
    const { fetch } = await start(application);
    const response = await fetch('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"first":"stackware"}' });
    expect(await response.json()).toEqual({ parsed: { first: 'stackware' }, again: { first: 'stackware' }, state: { first: 'stackware' } });
  });

  it('parses a urlencoded POST, and request.text() still has the raw body', async () => {
    const { fetch } = await start(app());
    const response = await fetch('/form', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=ann&lang=ts' });
    expect(await response.json()).toEqual({ parsed: { name: 'ann', lang: 'ts' }, text: 'name=ann&lang=ts' });
  });

  it('answers malformed JSON with its 400, as an HTTPException', async () => {
    const { fetch } = await start(app());
    const response = await fetch('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/JSON|Unexpected end/);
  });

  it('answers a body over its limit with 413', async () => {
    const application = new Application();
    application.post('/small', () => 'no', { middleware: [connectMiddleware(bodyParser.json({ limit: 10 }))] });
    const { fetch } = await start(application);
    const response = await fetch('/small', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ long: 'x'.repeat(100) }) });
    expect(response.status).toBe(413);
  });
});

describe('multer', () => {
  it('takes an upload; the endpoint sees req.file and can still read the form itself', async () => {
    const upload = multer({ storage: multer.memoryStorage() });
    const app = new Application();
    app.post(
      '/upload',
      async (request) => {
        const { file, body } = connectRequest<{ file: Express.Multer.File; body: Record<string, string> }>(request);
        const form = await request.form();
        const again = form.get('doc');
        return {
          name: file?.originalname,
          size: file?.size,
          content: file?.buffer.toString(),
          title: body?.title,
          formTitle: form.get('title'),
          formFile: typeof again === 'object' && again !== null ? await again.text() : null,
        };
      },
      { middleware: [connectMiddleware(upload.single('doc'))] },
    );
    const { fetch } = await start(app);
    const form = new FormData();
    form.set('title', 'report');
    form.set('doc', new Blob(['hello upload']), 'notes.txt');
    const response = await fetch('/upload', { method: 'POST', body: form });
    expect(await response.json()).toEqual({ name: 'notes.txt', size: 12, content: 'hello upload', title: 'report', formTitle: 'report', formFile: 'hello upload' });
  });
});

describe('bodies at the edges', () => {
  it('a body a Connect parser read past maxBodySize is a 413 for stackware, not a silent empty body', async () => {
    const app = new Application({ maxBodySize: 64 });
    app.post('/big', async (request) => (await request.text()).length, { middleware: [connectMiddleware(bodyParser.text({ limit: '1mb' }))] });
    const { fetch } = await start(app);
    const response = await fetch('/big', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(1000) });
    expect(response.status).toBe(413);
  });

  it('a body stackware streamed away is a clear failure for a Connect parser after it, not a hang', async () => {
    class Streams extends BaseHTTPMiddleware {
      override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
        for await (const chunk of request.stream()) void chunk;
        return callNext(request);
      }
    }
    const app = new Application();
    app.post('/after-stream', () => 'no', { middleware: [new Middleware(Streams), connectMiddleware(bodyParser.json())] });
    const { fetch } = await start(app);
    const response = await fetch('/after-stream', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(response.status).toBe(500);
  });
});

describe('connectMiddleware in an APIRouter', () => {
  it('runs for the router’s routes only', async () => {
    const router = new APIRouter({ prefix: '/api', middleware: [connectMiddleware(helmet())] });
    router.get('/x', () => 'x');
    const app = new Application();
    app.includeRouter(router);
    app.get('/plain', () => 'plain');
    const { fetch } = await start(app);
    expect((await fetch('/api/x')).headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch('/plain')).headers.get('x-content-type-options')).toBeNull();
  });
});
