import request from 'supertest';
import { Application } from '../../lib/application';
import type { Headers } from '../../lib/headers';
import { Middleware } from '../../lib/middleware/base';
import { CORSMiddleware, type CORSOptions } from '../../lib/middleware/cors';
import type { Request } from '../../lib/requests';
import { fakeRequest as makeFakeRequest } from '../helpers';
import { PlainTextResponse, StreamingResponse } from '../../lib/responses';

/** Starlette's test app: `GET /` → `PlainTextResponse("Homepage")`, behind CORS with `options`. */
function homepageApp(options: CORSOptions, responseHeaders?: Record<string, string>): Application {
  const app = new Application({ middleware: [new Middleware(CORSMiddleware, options)] });
  app.get('/', () => new PlainTextResponse('Homepage', { statusCode: 200, headers: responseHeaders }));
  return app;
}

/** An app whose endpoint must never be called (preflights are answered by the middleware). */
function neverCalledApp(options: CORSOptions): { app: Application; calls: () => number } {
  let calls = 0;
  const app = new Application({ middleware: [new Middleware(CORSMiddleware, options)] });
  app.route(
    '/',
    () => {
      calls += 1;
      return new PlainTextResponse('Homepage');
    },
    { methods: ['GET', 'POST', 'OPTIONS'] },
  );
  return { app, calls: () => calls };
}

/** A request that does not go through Node, to look at the response headers in order. */
function fakeRequest(method: string, headers: Record<string, string>): Request {
  return makeFakeRequest({ method, headers: { host: 'testserver', ...headers } });
}

/** The response headers as `name: value` lines, in the order they are sent. */
function headerLines(headers: Headers): string[] {
  return [...headers].map(([name, value]) => `${name}: ${value}`);
}

describe('CORSMiddleware — Starlette test_cors.py', () => {
  it('allows everything, echoing the origin because of credentials (starlette: test_cors_allow_all)', async () => {
    const app = homepageApp({
      allowOrigins: ['*'],
      allowHeaders: ['*'],
      allowMethods: ['*'],
      exposeHeaders: ['X-Status'],
      allowCredentials: true,
    });
    const client = request(app.callback());

    // Test pre-flight response
    let res = await client
      .options('/')
      .set('Origin', 'https://example.org')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'X-Example');
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
    expect(res.headers['access-control-allow-headers']).toBe('X-Example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['vary']).toBe('Origin');

    // Test standard response
    res = await client.get('/').set('Origin', 'https://example.org');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
    expect(res.headers['access-control-expose-headers']).toBe('X-Status');
    expect(res.headers['access-control-allow-credentials']).toBe('true');

    // Test standard credentialed response
    res = await client.get('/').set('Origin', 'https://example.org').set('Cookie', 'star_cookie=sugar');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
    expect(res.headers['access-control-expose-headers']).toBe('X-Status');
    expect(res.headers['access-control-allow-credentials']).toBe('true');

    // Test non-CORS response
    res = await client.get('/');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('answers * without credentials (starlette: test_cors_allow_all_except_credentials)', async () => {
    const app = homepageApp({ allowOrigins: ['*'], allowHeaders: ['*'], allowMethods: ['*'], exposeHeaders: ['X-Status'] });
    const client = request(app.callback());

    let res = await client
      .options('/')
      .set('Origin', 'https://example.org')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'X-Example');
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-headers']).toBe('X-Example');
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');
    expect(res.headers).not.toHaveProperty('vary');

    res = await client.get('/').set('Origin', 'https://example.org');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-expose-headers']).toBe('X-Status');
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');

    res = await client.get('/');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('allows a specific origin (starlette: test_cors_allow_specific_origin)', async () => {
    const app = homepageApp({ allowOrigins: ['https://example.org'], allowHeaders: ['X-Example', 'Content-Type'] });
    const client = request(app.callback());

    let res = await client
      .options('/')
      .set('Origin', 'https://example.org')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'X-Example, Content-Type');
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
    expect(res.headers['access-control-allow-headers']).toBe('Accept, Accept-Language, Content-Language, Content-Type, X-Example');
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');

    res = await client.get('/').set('Origin', 'https://example.org');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');

    res = await client.get('/');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('refuses a disallowed preflight, naming each failure once (starlette: test_cors_disallowed_preflight)', async () => {
    const { app, calls } = neverCalledApp({ allowOrigins: ['https://example.org'], allowHeaders: ['X-Example'] });
    const client = request(app.callback());

    let res = await client
      .options('/')
      .set('Origin', 'https://another.org')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'X-Nope');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Disallowed CORS origin, method, headers');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');

    // Bug specific test, https://github.com/Kludex/starlette/pull/1199
    // Test preflight response text with multiple disallowed headers
    res = await client
      .options('/')
      .set('Origin', 'https://example.org')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'X-Nope-1, X-Nope-2');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Disallowed CORS headers');
    expect(calls()).toBe(0);
  });

  it('echoes the origin in a preflight with * and credentials (starlette: test_preflight_allows_request_origin_if_origins_wildcard_and_credentials_allowed)', async () => {
    const { app, calls } = neverCalledApp({ allowOrigins: ['*'], allowMethods: ['POST'], allowCredentials: true });
    const res = await request(app.callback())
      .options('/')
      .set('Origin', 'https://example.org')
      .set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['vary']).toBe('Origin');
    expect(calls()).toBe(0);
  });

  it('lists every method for allowMethods * in a preflight (starlette: test_cors_preflight_allow_all_methods)', async () => {
    const { app, calls } = neverCalledApp({ allowOrigins: ['*'], allowMethods: ['*'] });
    const client = request(app.callback());
    for (const method of ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']) {
      const res = await client.options('/').set('Origin', 'https://example.org').set('Access-Control-Request-Method', 'POST');
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-methods']).toContain(method);
    }
    expect(calls()).toBe(0);
  });

  it('passes requests of every method to the app for allowMethods * (starlette: test_cors_allow_all_methods)', async () => {
    const app = new Application({ middleware: [new Middleware(CORSMiddleware, { allowOrigins: ['*'], allowMethods: ['*'] })] });
    app.route('/', () => new PlainTextResponse('Homepage', { statusCode: 200 }), {
      methods: ['delete', 'get', 'head', 'options', 'patch', 'post', 'put'],
    });
    const client = request(app.callback());
    const origin = 'https://example.org';

    for (const method of ['patch', 'post', 'put'] as const) {
      const res = await client[method]('/').set('Origin', origin).send({});
      expect(res.status).toBe(200);
    }
    for (const method of ['delete', 'get', 'head', 'options'] as const) {
      // OPTIONS without Access-Control-Request-Method is not a preflight: it reaches the route.
      const res = await client[method]('/').set('Origin', origin);
      expect(res.status).toBe(200);
    }
  });

  it('allows origins matching a regex (starlette: test_cors_allow_origin_regex)', async () => {
    const app = homepageApp({ allowHeaders: ['X-Example', 'Content-Type'], allowOriginRegex: 'https://.*', allowCredentials: true });
    const client = request(app.callback());

    // Test standard response
    let res = await client.get('/').set('Origin', 'https://example.org');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
    expect(res.headers['access-control-allow-credentials']).toBe('true');

    // Test standard credentialed response
    res = await client.get('/').set('Origin', 'https://example.org').set('Cookie', 'star_cookie=sugar');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
    expect(res.headers['access-control-allow-credentials']).toBe('true');

    // Test disallowed standard response
    // Note that enforcement is a browser concern. The disallowed-ness is reflected
    // in the lack of an "access-control-allow-origin" header in the response.
    res = await client.get('/').set('Origin', 'http://example.org');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');

    // Test pre-flight response
    res = await client
      .options('/')
      .set('Origin', 'https://another.com')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'X-Example, content-type');
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers['access-control-allow-origin']).toBe('https://another.com');
    expect(res.headers['access-control-allow-headers']).toBe('Accept, Accept-Language, Content-Language, Content-Type, X-Example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');

    // Test disallowed pre-flight response
    res = await client
      .options('/')
      .set('Origin', 'http://another.com')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'X-Example');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Disallowed CORS origin');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('requires the regex to match the whole origin (starlette: test_cors_allow_origin_regex_fullmatch)', async () => {
    const app = homepageApp({ allowHeaders: ['X-Example', 'Content-Type'], allowOriginRegex: 'https://.*\\.example.org' });
    const client = request(app.callback());

    let res = await client.get('/').set('Origin', 'https://subdomain.example.org');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers['access-control-allow-origin']).toBe('https://subdomain.example.org');
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');

    res = await client.get('/').set('Origin', 'https://subdomain.example.org.hacker.com');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('sets Vary: Origin for an allowed listed origin (starlette: test_cors_vary_header_defaults_to_origin)', async () => {
    const app = homepageApp({ allowOrigins: ['https://example.org'] });
    const res = await request(app.callback()).get('/').set('Origin', 'https://example.org');
    expect(res.status).toBe(200);
    expect(res.headers['vary']).toBe('Origin');
  });

  it('leaves Vary alone for * without credentials (starlette: test_cors_vary_header_is_not_set_for_non_credentialed_request)', async () => {
    const app = homepageApp({ allowOrigins: ['*'] }, { Vary: 'Accept-Encoding' });
    const res = await request(app.callback()).get('/').set('Origin', 'https://someplace.org');
    expect(res.status).toBe(200);
    expect(res.headers['vary']).toBe('Accept-Encoding');
  });

  it('appends Origin to Vary for * with credentials (starlette: test_cors_vary_header_is_properly_set_for_credentialed_request)', async () => {
    const app = homepageApp({ allowOrigins: ['*'], allowCredentials: true }, { Vary: 'Accept-Encoding' });
    const res = await request(app.callback()).get('/').set('Origin', 'https://someplace.org');
    expect(res.status).toBe(200);
    expect(res.headers['vary']).toBe('Accept-Encoding, Origin');
  });

  it('appends Origin to Vary for a listed origin (starlette: test_cors_vary_header_is_properly_set_when_allow_origins_is_not_wildcard)', async () => {
    const app = homepageApp({ allowOrigins: ['https://example.org'] }, { Vary: 'Accept-Encoding' });
    const res = await request(app.callback()).get('/').set('Origin', 'https://example.org');
    expect(res.status).toBe(200);
    expect(res.headers['vary']).toBe('Accept-Encoding, Origin');
  });

  it('does not leak an allowed origin into the next request (starlette: test_cors_allowed_origin_does_not_leak_between_requests)', async () => {
    const app = homepageApp({ allowOrigins: ['https://example.org'] });
    const client = request(app.callback());

    let res = await client.get('/').set('Origin', 'https://example.org');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');

    res = await client.get('/').set('Origin', 'https://other.org');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');

    res = await client.get('/').set('Origin', 'https://example.org');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
  });

  it('answers a private-network preflight when allowed (starlette: test_cors_private_network_access_allowed)', async () => {
    const app = homepageApp({ allowOrigins: ['*'], allowMethods: ['*'], allowPrivateNetwork: true });
    const client = request(app.callback());
    const withoutPna = { Origin: 'https://example.org', 'Access-Control-Request-Method': 'GET' };
    const withPna = { ...withoutPna, 'Access-Control-Request-Private-Network': 'true' };

    let res = await client.options('/').set(withPna);
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers['access-control-allow-private-network']).toBe('true');

    res = await client.options('/').set(withoutPna);
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers).not.toHaveProperty('access-control-allow-private-network');

    // A GET is not a preflight: no private-network header, the usual CORS ones.
    res = await client.get('/').set(withPna);
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(res.headers).not.toHaveProperty('access-control-allow-private-network');
    expect(res.headers).toHaveProperty('access-control-allow-origin');
  });

  it('refuses a private-network preflight when not allowed (starlette: test_cors_private_network_access_disallowed)', async () => {
    const { app, calls } = neverCalledApp({ allowOrigins: ['*'], allowMethods: ['*'], allowPrivateNetwork: false });
    const client = request(app.callback());
    const withoutPna = { Origin: 'https://example.org', 'Access-Control-Request-Method': 'GET' };
    const withPna = { ...withoutPna, 'Access-Control-Request-Private-Network': 'true' };

    let res = await client.options('/').set(withoutPna);
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers).not.toHaveProperty('access-control-allow-private-network');

    res = await client.options('/').set(withPna);
    expect(res.status).toBe(400);
    expect(res.text).toBe('Disallowed CORS private-network');
    expect(res.headers).not.toHaveProperty('access-control-allow-private-network');
    expect(calls()).toBe(0);
  });
});

describe('CORSMiddleware — options and details', () => {
  const preflight = (app: Application, headers: Record<string, string>) =>
    request(app.callback())
      .options('/')
      .set({ Origin: 'https://example.org', 'Access-Control-Request-Method': 'GET', ...headers });

  it('can be registered without options: allows no origin', async () => {
    const app = new Application();
    app.addMiddleware(CORSMiddleware);
    app.get('/', () => new PlainTextResponse('Homepage'));
    const res = await request(app.callback()).get('/').set('Origin', 'https://example.org');
    expect(res.status).toBe(200);
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    expect(res.headers).not.toHaveProperty('vary');

    const pre = await preflight(app, {});
    expect(pre.status).toBe(400);
    expect(pre.text).toBe('Disallowed CORS origin');
  });

  it('answers a preflight with headers in Starlette order and the defaults (methods GET, max-age 600)', async () => {
    const app = homepageApp({ allowOrigins: ['https://example.org'] });
    const response = await app.handle(fakeRequest('OPTIONS', { origin: 'https://example.org', 'access-control-request-method': 'GET' }));
    expect(response.statusCode).toBe(200);
    expect(await response.text()).toBe('OK');
    expect(headerLines(response.headers)).toEqual([
      'vary: Origin',
      'access-control-allow-methods: GET',
      'access-control-max-age: 600',
      'access-control-allow-headers: Accept, Accept-Language, Content-Language, Content-Type',
      'access-control-allow-origin: https://example.org',
      'content-length: 2',
      'content-type: text/plain; charset=utf-8',
    ]);
  });

  it('answers a wildcard preflight with * first and no Vary', async () => {
    const app = homepageApp({ allowOrigins: ['*'] });
    const response = await app.handle(fakeRequest('OPTIONS', { origin: 'https://example.org', 'access-control-request-method': 'GET' }));
    expect(headerLines(response.headers)).toEqual([
      'access-control-allow-origin: *',
      'access-control-allow-methods: GET',
      'access-control-max-age: 600',
      'access-control-allow-headers: Accept, Accept-Language, Content-Language, Content-Type',
      'content-length: 2',
      'content-type: text/plain; charset=utf-8',
    ]);
  });

  it('keeps the preflight headers (but no allow-origin) on a 400', async () => {
    const app = homepageApp({ allowOrigins: ['https://example.org'], allowCredentials: true, maxAge: 60 });
    const response = await app.handle(fakeRequest('OPTIONS', { origin: 'https://evil.org', 'access-control-request-method': 'GET' }));
    expect(response.statusCode).toBe(400);
    expect(await response.text()).toBe('Disallowed CORS origin');
    expect(headerLines(response.headers)).toEqual([
      'vary: Origin',
      'access-control-allow-methods: GET',
      'access-control-max-age: 60',
      'access-control-allow-headers: Accept, Accept-Language, Content-Language, Content-Type',
      'access-control-allow-credentials: true',
      'content-length: 22',
      'content-type: text/plain; charset=utf-8',
    ]);
  });

  it('lists every failure in order: origin, method, headers, private-network', async () => {
    const app = homepageApp({ allowOrigins: ['https://example.org'] });
    const res = await preflight(app, {
      Origin: 'https://evil.org',
      'Access-Control-Request-Method': 'DELETE',
      'Access-Control-Request-Headers': 'X-Nope',
      'Access-Control-Request-Private-Network': 'true',
    });
    expect(res.status).toBe(400);
    expect(res.text).toBe('Disallowed CORS origin, method, headers, private-network');
  });

  it('answers an allowed preflight itself, never calling the app, even for a path with no route', async () => {
    const { app, calls } = neverCalledApp({ allowOrigins: ['https://example.org'] });
    const res = await request(app.callback())
      .options('/no/such/route')
      .set({ Origin: 'https://example.org', 'Access-Control-Request-Method': 'GET' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(calls()).toBe(0);
  });

  it('passes a request without Origin untouched, even an OPTIONS that looks like a preflight', async () => {
    const { app, calls } = neverCalledApp({ allowOrigins: ['*'], allowCredentials: true, exposeHeaders: ['X-Status'] });
    const res = await request(app.callback()).options('/').set('Access-Control-Request-Method', 'GET');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Homepage');
    expect(calls()).toBe(1);
    expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-') || name === 'vary')).toEqual([]);
  });

  it('allowOrigins: matches listed origins exactly', async () => {
    const app = homepageApp({ allowOrigins: ['https://example.org', 'https://example.com'] });
    const client = request(app.callback());
    expect((await client.get('/').set('Origin', 'https://example.com')).headers['access-control-allow-origin']).toBe('https://example.com');
    expect((await client.get('/').set('Origin', 'https://example.com:443')).headers).not.toHaveProperty('access-control-allow-origin');
    expect((await client.get('/').set('Origin', 'https://EXAMPLE.com')).headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('allowOriginRegex: a string regex must match the whole origin, at both ends', async () => {
    const app = homepageApp({ allowOriginRegex: 'https://example\\.org' });
    const client = request(app.callback());
    expect((await client.get('/').set('Origin', 'https://example.org')).headers['access-control-allow-origin']).toBe('https://example.org');
    for (const origin of ['https://example.org.evil.com', 'http://evil.com?https://example.org', 'xhttps://example.org']) {
      const res = await client.get('/').set('Origin', origin);
      expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    }
    // Alternation is anchored as a whole, not only its first and last branches.
    const alt = homepageApp({ allowOriginRegex: 'https://a\\.org|https://b\\.org' });
    const altClient = request(alt.callback());
    expect((await altClient.get('/').set('Origin', 'https://b.org')).headers['access-control-allow-origin']).toBe('https://b.org');
    expect((await altClient.get('/').set('Origin', 'https://a.org.evil.com')).headers).not.toHaveProperty('access-control-allow-origin');
    expect((await altClient.get('/').set('Origin', 'https://evil.com/https://b.org')).headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('allowOriginRegex: a RegExp keeps its flags, must match the whole origin, and a g flag does not make it stateful', async () => {
    const app = homepageApp({ allowOriginRegex: /https:\/\/[a-z]+\.example\.org/gi });
    const client = request(app.callback());
    for (let i = 0; i < 3; i += 1) {
      const res = await client.get('/').set('Origin', 'https://API.example.org');
      expect(res.headers['access-control-allow-origin']).toBe('https://API.example.org');
      expect(res.headers['vary']).toBe('Origin');
    }
    const res = await client.get('/').set('Origin', 'https://api.example.org.evil.com');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('allowOriginRegex: refuses an invalid regex at construction', () => {
    const app = new Application();
    expect(() => new CORSMiddleware(app, { allowOriginRegex: '(' })).toThrow(SyntaxError);
  });

  it('allowMethods: compares the requested method case-sensitively, and lists methods in the given order', async () => {
    const app = homepageApp({ allowOrigins: ['*'], allowMethods: ['PUT', 'get'] });
    let res = await preflight(app, { 'Access-Control-Request-Method': 'GET' });
    expect(res.status).toBe(400);
    expect(res.text).toBe('Disallowed CORS method');
    expect(res.headers['access-control-allow-methods']).toBe('PUT, get');
    res = await preflight(app, { 'Access-Control-Request-Method': 'PUT' });
    expect(res.status).toBe(200);
  });

  it('allowMethods: defaults to GET only', async () => {
    const app = homepageApp({ allowOrigins: ['*'] });
    expect((await preflight(app, { 'Access-Control-Request-Method': 'GET' })).status).toBe(200);
    const res = await preflight(app, { 'Access-Control-Request-Method': 'POST' });
    expect(res.status).toBe(400);
    expect(res.text).toBe('Disallowed CORS method');
  });

  it('allowHeaders: adds to the safelist, sorted case-sensitively, and checks requested headers case-insensitively', async () => {
    const app = homepageApp({ allowOrigins: ['*'], allowHeaders: ['x-lower', 'X-Upper', 'Accept'] });
    let res = await preflight(app, { 'Access-Control-Request-Headers': 'X-LOWER,x-upper , accept, content-type' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-headers']).toBe('Accept, Accept-Language, Content-Language, Content-Type, X-Upper, x-lower');
    res = await preflight(app, { 'Access-Control-Request-Headers': 'X-Upper, Authorization' });
    expect(res.status).toBe(400);
    expect(res.text).toBe('Disallowed CORS headers');
  });

  it('allowHeaders *: mirrors the requested headers, and sends no allow-headers when none are requested', async () => {
    const app = homepageApp({ allowOrigins: ['*'], allowHeaders: ['*'] });
    let res = await preflight(app, { 'Access-Control-Request-Headers': 'Authorization, X-Anything' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-headers']).toBe('Authorization, X-Anything');
    res = await preflight(app, {});
    expect(res.status).toBe(200);
    expect(res.headers).not.toHaveProperty('access-control-allow-headers');
  });

  it('allowCredentials: sent on simple responses even for a disallowed origin, as in Starlette', async () => {
    const app = homepageApp({ allowOrigins: ['https://example.org'], allowCredentials: true });
    const res = await request(app.callback()).get('/').set('Origin', 'https://evil.org');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('exposeHeaders: joined with ", " in the given order, on simple responses only', async () => {
    const app = homepageApp({ allowOrigins: ['*'], exposeHeaders: ['X-B', 'X-A'] });
    const res = await request(app.callback()).get('/').set('Origin', 'https://example.org');
    expect(res.headers['access-control-expose-headers']).toBe('X-B, X-A');
    const pre = await preflight(app, {});
    expect(pre.headers).not.toHaveProperty('access-control-expose-headers');
  });

  it('maxAge: sets Access-Control-Max-Age on preflights', async () => {
    const app = homepageApp({ allowOrigins: ['*'], maxAge: 3600 });
    const res = await preflight(app, {});
    expect(res.headers['access-control-max-age']).toBe('3600');
  });

  it('allowPrivateNetwork: any value of the request header counts, and the header is never on simple responses', async () => {
    const allowed = homepageApp({ allowOrigins: ['*'], allowPrivateNetwork: true });
    const res = await preflight(allowed, { 'Access-Control-Request-Private-Network': 'false' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-private-network']).toBe('true');

    const refused = homepageApp({ allowOrigins: ['*'] });
    const no = await preflight(refused, { 'Access-Control-Request-Private-Network': 'false' });
    expect(no.status).toBe(400);
    expect(no.text).toBe('Disallowed CORS private-network');

    const simple = await request(allowed.callback())
      .get('/')
      .set({ Origin: 'https://example.org', 'Access-Control-Request-Private-Network': 'true' });
    expect(simple.status).toBe(200);
    expect(simple.headers).not.toHaveProperty('access-control-allow-private-network');
  });

  it('uses the first Origin header when there are several', async () => {
    const app = homepageApp({ allowOrigins: ['*'], allowCredentials: true });
    const request = makeFakeRequest({
      headers: [
        ['host', 'testserver'],
        ['origin', 'https://a.org'],
        ['origin', 'https://b.org'],
      ],
    });
    const twice = await app.handle(request);
    expect(twice.headers.get('access-control-allow-origin')).toBe('https://a.org');
  });

  it('adds the headers to a streaming response', async () => {
    const app = new Application({ middleware: [new Middleware(CORSMiddleware, { allowOrigins: ['https://example.org'] })] });
    app.get('/', () => new StreamingResponse(['a', 'b', 'c']));
    const res = await request(app.callback()).get('/').set('Origin', 'https://example.org');
    expect(res.status).toBe(200);
    expect(res.text).toBe('abc');
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
    expect(res.headers['vary']).toBe('Origin');
  });

  it('adds the headers to error responses produced inside it (404)', async () => {
    const app = homepageApp({ allowOrigins: ['https://example.org'] });
    const res = await request(app.callback()).get('/missing').set('Origin', 'https://example.org');
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe('https://example.org');
  });

  it('exposes its computed settings', () => {
    const cors = new CORSMiddleware(new Application(), { allowMethods: ['*'], allowHeaders: ['X-Example'] });
    expect(cors.allowMethods).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    expect(cors.allowHeaders).toEqual(['accept', 'accept-language', 'content-language', 'content-type', 'x-example']);
    expect(cors.allowAllOrigins).toBe(false);
    expect(cors.isAllowedOrigin('https://example.org')).toBe(false);
  });
});
