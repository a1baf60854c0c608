import request from 'supertest';
import { Application } from '../../lib/application';
import type { Headers } from '../../lib/headers';
import { Middleware } from '../../lib/middleware/base';
import { HTTPSRedirectMiddleware, type HTTPSRedirectOptions } from '../../lib/middleware/httpsredirect';
import type { Request } from '../../lib/requests';
import { fakeRequest as makeFakeRequest } from '../helpers';
import { PlainTextResponse } from '../../lib/responses';

/** Starlette's test app: `GET /` → `PlainTextResponse("OK")`, behind HTTPSRedirect with `options`. */
function okApp(options?: HTTPSRedirectOptions): { app: Application; calls: () => number } {
  let calls = 0;
  const app = new Application({ middleware: [new Middleware(HTTPSRedirectMiddleware, options)] });
  const ok = () => {
    calls += 1;
    return new PlainTextResponse('OK', { statusCode: 200 });
  };
  app.route('/', ok, { methods: ['GET', 'POST'] });
  app.get('/items/{id}', ok);
  return { app, calls: () => calls };
}

/** A request that does not go through Node, so that its scheme can be https. */
function fakeRequest(scheme: string, host: string, target = '/'): Request {
  return makeFakeRequest({ scheme, target, headers: { host } });
}

describe('HTTPSRedirectMiddleware — Starlette test_https_redirect.py', () => {
  it('passes https through and redirects http, dropping ports 80 and 443 (starlette: test_https_redirect_middleware)', async () => {
    const { app, calls } = okApp();

    // base_url="https://testserver"
    const secure = await app.handle(fakeRequest('https', 'testserver'));
    expect(secure.statusCode).toBe(200);
    expect(await secure.text()).toBe('OK');
    expect(calls()).toBe(1);

    const client = request(app.callback());
    // default base_url="http://testserver"
    let res = await client.get('/').set('Host', 'testserver').redirects(0);
    expect(res.status).toBe(307);
    expect(res.headers['location']).toBe('https://testserver/');

    // base_url="http://testserver:80"
    res = await client.get('/').set('Host', 'testserver:80').redirects(0);
    expect(res.status).toBe(307);
    expect(res.headers['location']).toBe('https://testserver/');

    // base_url="http://testserver:443"
    res = await client.get('/').set('Host', 'testserver:443').redirects(0);
    expect(res.status).toBe(307);
    expect(res.headers['location']).toBe('https://testserver/');

    // base_url="http://testserver:123"
    res = await client.get('/').set('Host', 'testserver:123').redirects(0);
    expect(res.status).toBe(307);
    expect(res.headers['location']).toBe('https://testserver:123/');

    expect(calls()).toBe(1);
  });
});

describe('HTTPSRedirectMiddleware — options and details', () => {
  it('keeps the path and the query, and sends an empty body', async () => {
    const { app } = okApp();
    const res = await request(app.callback()).get('/items/a%20b?q=1&r=%C3%A9').set('Host', 'example.com:8443').redirects(0);
    expect(res.status).toBe(307);
    expect(res.headers['location']).toBe('https://example.com:8443/items/a%20b?q=1&r=%C3%A9');
    expect(res.text).toBe('');
  });

  it('redirects other methods too, with 307 so that the method and body are kept', async () => {
    const { app, calls } = okApp();
    const res = await request(app.callback()).post('/').set('Host', 'example.com').send({ a: 1 }).redirects(0);
    expect(res.status).toBe(307);
    expect(res.headers['location']).toBe('https://example.com/');
    expect(calls()).toBe(0);
  });

  it('statusCode: 308 for a permanent redirect', async () => {
    const { app } = okApp({ statusCode: 308 });
    const res = await request(app.callback()).get('/').set('Host', 'example.com').redirects(0);
    expect(res.status).toBe(308);
    expect(res.headers['location']).toBe('https://example.com/');
  });

  it('statusCode: defaults to 307, and refuses anything but 307 or 308 at construction', () => {
    const app = new Application();
    expect(new HTTPSRedirectMiddleware(app).statusCode).toBe(307);
    expect(() => new HTTPSRedirectMiddleware(app, { statusCode: 301 as 307 })).toThrow(/307 or 308/);
  });

  it('passes https requests through on any port', async () => {
    const { app } = okApp();
    const response = await app.handle(fakeRequest('https', 'testserver:8443', '/items/1'));
    expect(response.statusCode).toBe(200);
  });

  it('keeps an IPv6 literal host and its port', async () => {
    const { app } = okApp();
    const response = await app.handle(fakeRequest('http', '[::1]:8080', '/items/1?x=y'));
    expect(response.statusCode).toBe(307);
    expect(response.headers.get('location')).toBe('https://[::1]:8080/items/1?x=y');
  });
});
