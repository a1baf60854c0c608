/**
 * Core behaviour that every adapter must show identically: one table of cases, run through
 * `node:http` and `app.fetch` alike (see parity.spec.ts), so the adapters cannot drift apart.
 */
import { gunzipSync } from 'node:zlib';
import {
  Application,
  BackgroundTasks,
  BaseHTTPMiddleware,
  CORSMiddleware,
  GZipMiddleware,
  HTTPException,
  JSONResponse,
  PlainTextResponse,
  Response,
  SessionMiddleware,
  StreamingResponse,
  TrustedHostMiddleware,
  type ApplicationOptions,
  type CallNext,
  type Request,
} from 'stackware';
import { recordingLogger } from '../helpers';
import type { CaseRequest, CaseResult } from './drivers';

/** A header expectation: the exact value, a pattern, or `null` for "absent". */
export type HeaderExpectation = string | RegExp | null;

/** What the client must receive. */
export interface CaseExpectation {
  status: number;
  headers?: Record<string, HeaderExpectation>;
  /** The body as text, exactly or by pattern. */
  body?: string | RegExp;
  /** The body parsed as JSON. */
  json?: unknown;
}

/** Checks run once the whole response was received (they may wait for work done after it). */
export type CaseCheck = (result: CaseResult) => void | Promise<void>;

/** One behaviour, described once for every adapter. */
export interface SharedCase {
  name: string;
  /** Options of the case's application (a recording logger is always added). */
  options?: ApplicationOptions;
  /** Adds routes and middleware; may return a check to run after the response. */
  setup(app: Application): void | CaseCheck;
  request: CaseRequest;
  expect: CaseExpectation;
}

/** Retries `check` until it passes or `ms` have passed (for work that runs after the response). */
export async function eventually(check: () => void, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

class AppendHeader extends BaseHTTPMiddleware<{ label: string }> {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    const seen = response.headers.get('x-order');
    response.headers.set('x-order', seen === null ? this.options.label : `${seen},${this.options.label}`);
    return response;
  }
}

class Authenticate extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const token = request.headers.get('authorization');
    if (token !== 'Bearer good') throw new HTTPException(401, 'Not authenticated', { 'www-authenticate': 'Bearer' });
    request.state.user = 'alice';
    return callNext(request);
  }
}

class ReadBodyFirst extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const length = (await request.body()).byteLength;
    const response = await callNext(request);
    response.headers.set('x-body-length', String(length));
    return response;
  }
}

class TeapotError extends Error {}

const BOUNDARY = 'stackware-boundary';
const multipartBody = [
  `--${BOUNDARY}`,
  'Content-Disposition: form-data; name="title"',
  '',
  'report',
  `--${BOUNDARY}`,
  'Content-Disposition: form-data; name="file"; filename="notes.txt"',
  'Content-Type: text/plain',
  '',
  'hello upload',
  `--${BOUNDARY}--`,
  '',
].join('\r\n');

const hello = (app: Application): void => {
  app.get('/', () => ({ message: 'Hello World' }));
};

export const sharedCases: readonly SharedCase[] = [
  {
    name: 'an endpoint value is sent as compact JSON with content-length',
    setup: hello,
    request: { path: '/' },
    expect: { status: 200, json: { message: 'Hello World' }, headers: { 'content-type': 'application/json', 'content-length': '25' } },
  },
  {
    name: 'path parameters are converted by their convertor',
    setup: (app) => {
      app.get('/items/{itemId:int}', (request) => ({ itemId: request.pathParams.itemId }));
    },
    request: { path: '/items/42' },
    expect: { status: 200, json: { itemId: 42 } },
  },
  {
    name: 'a percent-encoded path is decoded for routing',
    setup: (app) => {
      app.get('/files/{name}', (request) => ({ name: request.pathParams.name }));
    },
    request: { path: '/files/a%20b' },
    expect: { status: 200, json: { name: 'a b' } },
  },
  {
    name: 'an unknown path is a 404 {"detail": "Not Found"}',
    setup: hello,
    request: { path: '/missing' },
    expect: { status: 404, json: { detail: 'Not Found' } },
  },
  {
    name: 'a known path with another method is a 405 with Allow',
    setup: hello,
    request: { method: 'DELETE', path: '/' },
    expect: { status: 405, json: { detail: 'Method Not Allowed' }, headers: { allow: /^(GET, HEAD|HEAD, GET)$/ } },
  },
  {
    name: 'an HTTPException from an endpoint keeps its status, detail and headers',
    setup: (app) => {
      app.get('/', () => {
        throw new HTTPException(409, { reason: 'conflict' }, { 'x-error': 'yes' });
      });
    },
    request: { path: '/' },
    expect: { status: 409, json: { detail: { reason: 'conflict' } }, headers: { 'x-error': 'yes' } },
  },
  {
    name: 'any other error is a plain-text 500, logged',
    setup: (app) => {
      app.get('/', () => {
        throw new Error('secret');
      });
      return () => expect((app.logger as ReturnType<typeof recordingLogger>).errors).toHaveLength(1);
    },
    request: { path: '/' },
    expect: { status: 500, body: 'Internal Server Error', headers: { 'content-type': 'text/plain; charset=utf-8' } },
  },
  {
    name: 'a handler registered for an Error class answers for it',
    setup: (app) => {
      app.exceptionHandler(TeapotError, (_request, error) => new JSONResponse({ teapot: error.message }, { statusCode: 418 }));
      app.get('/', () => {
        throw new TeapotError('short and stout');
      });
    },
    request: { path: '/' },
    expect: { status: 418, json: { teapot: 'short and stout' } },
  },
  {
    name: 'the last middleware added is the outermost',
    setup: (app) => {
      app.addMiddleware(AppendHeader, { label: 'inner' });
      app.addMiddleware(AppendHeader, { label: 'outer' });
      hello(app);
    },
    request: { path: '/' },
    expect: { status: 200, headers: { 'x-order': 'inner,outer' } },
  },
  {
    name: 'an HTTPException thrown in dispatch becomes that middleware’s response',
    setup: (app) => {
      app.addMiddleware(Authenticate);
      hello(app);
    },
    request: { path: '/' },
    expect: { status: 401, json: { detail: 'Not authenticated' }, headers: { 'www-authenticate': 'Bearer' } },
  },
  {
    name: 'request.state set by a middleware is seen by the endpoint',
    setup: (app) => {
      app.addMiddleware(Authenticate);
      app.get('/me', (request) => ({ user: request.state.user }));
    },
    request: { path: '/me', headers: { authorization: 'Bearer good' } },
    expect: { status: 200, json: { user: 'alice' } },
  },
  {
    name: 'a JSON body read in a middleware is still readable by the endpoint',
    setup: (app) => {
      app.addMiddleware(ReadBodyFirst);
      app.post('/echo', async (request) => ({ received: await request.json() }));
    },
    request: { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' },
    expect: { status: 200, json: { received: { a: [1, 2] } }, headers: { 'x-body-length': '11' } },
  },
  {
    name: 'a malformed JSON body is a 400',
    setup: (app) => {
      app.post('/echo', async (request) => request.json());
    },
    request: { method: 'POST', path: '/echo', body: '{nope' },
    expect: { status: 400, body: /Invalid JSON body/ },
  },
  {
    name: 'a streamed request body arrives in full through request.stream()',
    setup: (app) => {
      app.post('/upload', async (request) => {
        let bytes = 0;
        for await (const chunk of request.stream()) bytes += chunk.byteLength;
        return { bytes };
      });
    },
    request: { method: 'POST', path: '/upload', chunks: ['abc', 'defg', 'hi'] },
    expect: { status: 200, json: { bytes: 9 } },
  },
  {
    name: 'a body larger than maxBodySize is a 413',
    options: { maxBodySize: 8 },
    setup: (app) => {
      app.post('/upload', async (request) => ({ bytes: (await request.body()).byteLength }));
    },
    request: { method: 'POST', path: '/upload', chunks: ['0123456', '789abcdef'] },
    expect: { status: 413, json: { detail: 'Request body is larger than 8 bytes' } },
  },
  {
    name: 'query parameters keep every value',
    setup: (app) => {
      app.get('/search', (request) => ({ q: request.queryParams.getAll('q'), page: request.queryParams.get('page') }));
    },
    request: { path: '/search?q=a&q=b%20c&page=2' },
    expect: { status: 200, json: { q: ['a', 'b c'], page: '2' } },
  },
  {
    name: 'the request URL is built from the scheme, the Host header and the target',
    setup: (app) => {
      app.get('/where', (request) => ({ url: request.url.href, method: request.method }));
    },
    request: { path: '/where?x=1' },
    expect: { status: 200, json: { url: 'http://testserver/where?x=1', method: 'GET' } },
  },
  {
    name: 'cookies are parsed, and several set-cookie headers are kept apart',
    setup: (app) => {
      app.get('/cookies', (request) => {
        const response = new JSONResponse({ seen: request.cookies });
        response.setCookie('a', '1');
        response.setCookie('b', '2', { httpOnly: true });
        return response;
      });
      return (result) => {
        expect(result.setCookies).toHaveLength(2);
        expect(result.setCookies[0]).toMatch(/^a=1; /);
        expect(result.setCookies[1]).toMatch(/^b=2; .*HttpOnly/);
      };
    },
    request: { path: '/cookies', headers: { cookie: 'x=1; y=two' } },
    expect: { status: 200, json: { seen: { x: '1', y: 'two' } } },
  },
  {
    name: 'a trailing slash is redirected to the route that exists',
    setup: (app) => {
      app.get('/items', () => []);
    },
    request: { path: '/items/?page=2' },
    expect: { status: 307, headers: { location: 'http://testserver/items?page=2' } },
  },
  {
    name: 'a streaming response arrives whole, without content-length',
    setup: (app) => {
      app.get('/stream', () => new StreamingResponse(['one ', 'two ', new TextEncoder().encode('three')], { mediaType: 'text/plain' }));
    },
    request: { path: '/stream' },
    expect: { status: 200, body: 'one two three', headers: { 'content-length': null, 'content-type': 'text/plain; charset=utf-8' } },
  },
  {
    name: 'HEAD on a GET route answers the headers without a body',
    setup: hello,
    request: { method: 'HEAD', path: '/' },
    expect: { status: 200, body: '', headers: { 'content-length': '25', 'content-type': 'application/json' } },
  },
  {
    name: 'a 204 has no body',
    setup: (app) => {
      app.delete('/items/{id}', () => new Response(null, { statusCode: 204 }));
    },
    request: { method: 'DELETE', path: '/items/1' },
    expect: { status: 204, body: '' },
  },
  {
    name: 'a URL-encoded form is parsed',
    setup: (app) => {
      app.post('/form', async (request) => {
        const form = await request.form();
        return { name: form.get('name'), tags: form.getAll('tag') };
      });
    },
    request: { method: 'POST', path: '/form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Ada+L&tag=a&tag=b' },
    expect: { status: 200, json: { name: 'Ada L', tags: ['a', 'b'] } },
  },
  {
    name: 'a multipart upload is parsed',
    setup: (app) => {
      app.post('/upload', async (request) => {
        const form = await request.form();
        const file = form.get('file');
        if (typeof file === 'string' || file === null) throw new HTTPException(400, 'no file');
        return { title: form.get('title'), filename: file.filename, content: await file.text() };
      });
    },
    request: {
      method: 'POST',
      path: '/upload',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      body: multipartBody,
    },
    expect: { status: 200, json: { title: 'report', filename: 'notes.txt', content: 'hello upload' } },
  },
  {
    name: 'background tasks run after the response: the response’s, then the request’s',
    setup: (app) => {
      const ran: string[] = [];
      app.get('/', (request) => {
        request.backgroundTasks.addTask(() => ran.push('request'));
        return new PlainTextResponse('sent', { background: new BackgroundTasks([() => ran.push('response')]) });
      });
      return () => eventually(() => expect(ran).toEqual(['response', 'request']));
    },
    request: { path: '/' },
    expect: { status: 200, body: 'sent' },
  },
  {
    name: 'a request-scoped dependency’s exit code runs after the response',
    setup: (app) => {
      const events: string[] = [];
      async function* connection(): AsyncGenerator<string> {
        events.push('open');
        try {
          yield 'db';
        } finally {
          events.push('close');
        }
      }
      app.get('/', async (request) => {
        const db = await request.depends(connection);
        events.push(`endpoint ${db}`);
        return new StreamingResponse(['a', 'b']);
      });
      return () => eventually(() => expect(events).toEqual(['open', 'endpoint db', 'close']));
    },
    request: { path: '/' },
    expect: { status: 200, body: 'ab' },
  },
  {
    name: 'GZipMiddleware compresses a large enough body for a client that accepts gzip',
    setup: (app) => {
      app.addMiddleware(GZipMiddleware);
      app.get('/big', () => new PlainTextResponse('x'.repeat(2000)));
      return (result) => expect(gunzipSync(result.body).toString()).toBe('x'.repeat(2000));
    },
    request: { path: '/big', headers: { 'accept-encoding': 'gzip' } },
    expect: { status: 200, headers: { 'content-encoding': 'gzip', vary: /accept-encoding/i } },
  },
  {
    name: 'CORSMiddleware answers a preflight for an allowed origin',
    setup: (app) => {
      app.addMiddleware(CORSMiddleware, { allowOrigins: ['https://example.org'], allowMethods: ['PUT'], allowHeaders: ['x-custom'] });
      app.put('/items', () => ({ ok: true }));
    },
    request: {
      method: 'OPTIONS',
      path: '/items',
      headers: { origin: 'https://example.org', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-custom' },
    },
    expect: { status: 200, headers: { 'access-control-allow-origin': 'https://example.org', 'access-control-allow-methods': /PUT/ } },
  },
  {
    name: 'TrustedHostMiddleware refuses another Host',
    setup: (app) => {
      app.addMiddleware(TrustedHostMiddleware, { allowedHosts: ['testserver'] });
      hello(app);
    },
    request: { path: '/', headers: { host: 'evil.example' } },
    expect: { status: 400, body: 'Invalid host header' },
  },
  {
    name: 'SessionMiddleware writes a changed session to its cookie',
    setup: (app) => {
      app.addMiddleware(SessionMiddleware, { secretKey: 'shared-cases' });
      app.post('/login', (request) => {
        request.session.user = 'alice';
        return { ok: true };
      });
      return (result) => {
        expect(result.setCookies).toHaveLength(1);
        expect(result.setCookies[0]).toMatch(/^session=[^;]+; path=\/; Max-Age=1209600; httponly; samesite=lax$/i);
      };
    },
    request: { method: 'POST', path: '/login' },
    expect: { status: 200, json: { ok: true } },
  },
  {
    name: 'a mounted app sees the path below its prefix and the prefix as rootPath',
    setup: (app) => {
      const sub = new Application();
      sub.get('/users/{id}', (request) => ({ id: request.pathParams.id, rootPath: request.rootPath, path: request.path }));
      app.mount('/api', sub);
    },
    request: { path: '/api/users/7' },
    expect: { status: 200, json: { id: '7', rootPath: '/api', path: '/api/users/7' } },
  },
];

/** Checks a result against a case's expectation (jest `expect`). */
export function expectResult(result: CaseResult, expectation: CaseExpectation): void {
  expect(result.status).toBe(expectation.status);
  for (const [name, expected] of Object.entries(expectation.headers ?? {})) {
    const actual = result.headers[name];
    if (expected === null) expect({ [name]: actual }).toEqual({ [name]: undefined });
    else if (expected instanceof RegExp) expect(actual).toMatch(expected);
    else expect({ [name]: actual }).toEqual({ [name]: expected });
  }
  const text = result.body.toString('utf8');
  if (expectation.body instanceof RegExp) expect(text).toMatch(expectation.body);
  else if (expectation.body !== undefined) expect(text).toBe(expectation.body);
  if (expectation.json !== undefined) expect(JSON.parse(text)).toEqual(expectation.json);
}
