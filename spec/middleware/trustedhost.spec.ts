import request from 'supertest';
import { Application } from '../../lib/application';
import type { Headers } from '../../lib/headers';
import { Middleware } from '../../lib/middleware/base';
import { ENFORCE_DOMAIN_WILDCARD, TrustedHostMiddleware, type TrustedHostOptions } from '../../lib/middleware/trustedhost';
import type { Request } from '../../lib/requests';
import { fakeRequest as makeFakeRequest } from '../helpers';
import { PlainTextResponse } from '../../lib/responses';

/** Starlette's test app: `GET /` → `PlainTextResponse("OK")`, behind TrustedHost with `options`. */
function okApp(options?: TrustedHostOptions): Application {
  const app = new Application({ middleware: [new Middleware(TrustedHostMiddleware, options)] });
  app.get('/', () => new PlainTextResponse('OK', { statusCode: 200 }));
  app.get('/a/b', (req) => new PlainTextResponse(`path ${req.queryParams.toString()}`));
  return app;
}

/** A request that does not go through Node: any scheme, any (or no) Host header. */
function fakeRequest(options: { scheme?: string; target?: string; headers?: Iterable<readonly [string, string]> }): Request {
  return makeFakeRequest({ scheme: options.scheme, target: options.target, headers: options.headers ?? [] });
}

describe('TrustedHostMiddleware — Starlette test_trusted_host.py', () => {
  it('allows listed hosts and wildcard subdomains, refuses others (starlette: test_trusted_host_middleware)', async () => {
    const app = okApp({ allowedHosts: ['testserver', '*.testserver'] });
    const client = request(app.callback());

    let res = await client.get('/').set('Host', 'testserver');
    expect(res.status).toBe(200);

    res = await client.get('/').set('Host', 'subdomain.testserver');
    expect(res.status).toBe(200);

    res = await client.get('/').set('Host', 'invalidhost');
    expect(res.status).toBe(400);
  });

  it('allows any host by default (starlette: test_default_allowed_hosts)', async () => {
    const app = new Application();
    const middleware = new TrustedHostMiddleware(app);
    expect(middleware.allowedHosts).toEqual(['*']);
    expect(middleware.allowAny).toBe(true);

    const served = okApp();
    const res = await request(served.callback()).get('/').set('Host', 'anything.at.all');
    expect(res.status).toBe(200);
  });

  it('redirects to the www host when only it is allowed (starlette: test_www_redirect)', async () => {
    const app = okApp({ allowedHosts: ['www.example.com'] });
    // base_url="https://example.com": the redirect keeps the https scheme.
    const response = await app.handle(fakeRequest({ scheme: 'https', headers: [['host', 'example.com']] }));
    expect(response.statusCode).toBe(307);
    expect(response.headers.get('location')).toBe('https://www.example.com/');

    // Following it: the www host is served.
    const followed = await app.handle(fakeRequest({ scheme: 'https', headers: [['host', 'www.example.com']] }));
    expect(followed.statusCode).toBe(200);
    expect(await followed.text()).toBe('OK');
  });
});

describe('TrustedHostMiddleware — options and details', () => {
  it('answers 400 "Invalid host header" in plain text, without calling the app', async () => {
    let calls = 0;
    const app = new Application({ middleware: [new Middleware(TrustedHostMiddleware, { allowedHosts: ['example.com'] })] });
    app.get('/', () => {
      calls += 1;
      return 'OK';
    });
    const res = await request(app.callback()).get('/').set('Host', 'evil.com');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Invalid host header');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(calls).toBe(0);
  });

  it('allowedHosts: a wildcard matches subdomains at any depth but not the bare domain nor look-alikes', async () => {
    const client = request(okApp({ allowedHosts: ['*.example.com'] }).callback());
    expect((await client.get('/').set('Host', 'a.example.com')).status).toBe(200);
    expect((await client.get('/').set('Host', 'a.b.example.com')).status).toBe(200);
    expect((await client.get('/').set('Host', 'example.com')).status).toBe(400);
    expect((await client.get('/').set('Host', 'evilexample.com')).status).toBe(400);
    expect((await client.get('/').set('Host', 'example.com.evil.org')).status).toBe(400);
  });

  it('allowedHosts: ignores the port of the Host header', async () => {
    const client = request(okApp({ allowedHosts: ['example.com'] }).callback());
    expect((await client.get('/').set('Host', 'example.com:8080')).status).toBe(200);
    expect((await client.get('/').set('Host', 'example.com:80')).status).toBe(200);
  });

  it('allowedHosts: matches host names case-insensitively', async () => {
    const client = request(okApp({ allowedHosts: ['Example.com', '*.Example.org'] }).callback());
    expect((await client.get('/').set('Host', 'EXAMPLE.COM')).status).toBe(200);
    expect((await client.get('/').set('Host', 'api.example.ORG')).status).toBe(200);
  });

  it('allowedHosts: accepts an IPv6 literal, with or without port', async () => {
    const client = request(okApp({ allowedHosts: ['[::1]'] }).callback());
    expect((await client.get('/').set('Host', '[::1]:8000')).status).toBe(200);
    expect((await client.get('/').set('Host', '[::1]')).status).toBe(200);
    expect((await client.get('/').set('Host', '[::2]:8000')).status).toBe(400);
  });

  it('allowedHosts: only a leading "*." wildcard (or "*" alone) is accepted, else the constructor throws', () => {
    const app = new Application();
    for (const pattern of ['example.*.com', '*example.com', 'exa*mple.com', '**.example.com', 'example.com*', '*.*.example.com']) {
      expect(() => new TrustedHostMiddleware(app, { allowedHosts: [pattern] })).toThrow(ENFORCE_DOMAIN_WILDCARD);
    }
    expect(ENFORCE_DOMAIN_WILDCARD).toBe("Domain wildcard patterns must be like '*.example.com'.");
    expect(() => new TrustedHostMiddleware(app, { allowedHosts: ['*', '*.example.com', 'example.com'] })).not.toThrow();
  });

  it('allowedHosts: "*" among other patterns allows any host', async () => {
    const client = request(okApp({ allowedHosts: ['example.com', '*'] }).callback());
    expect((await client.get('/').set('Host', 'other.org')).status).toBe(200);
  });

  it('wwwRedirect: keeps the scheme, port, path and query', async () => {
    const client = request(okApp({ allowedHosts: ['www.example.com'] }).callback());
    const res = await client.get('/a/b?x=1&y=%20').set('Host', 'example.com:8080');
    expect(res.status).toBe(307);
    expect(res.headers['location']).toBe('http://www.example.com:8080/a/b?x=1&y=%20');
    expect(res.text).toBe('');
  });

  it('wwwRedirect: false answers 400 instead of redirecting', async () => {
    const client = request(okApp({ allowedHosts: ['www.example.com'], wwwRedirect: false }).callback());
    const res = await client.get('/').set('Host', 'example.com');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Invalid host header');
  });

  it('wwwRedirect: does not redirect a host whose www name is not allowed', async () => {
    const client = request(okApp({ allowedHosts: ['www.example.com'] }).callback());
    expect((await client.get('/').set('Host', 'www.www.example.com')).status).toBe(400);
    expect((await client.get('/').set('Host', 'example.org')).status).toBe(400);
  });

  it('answers 400 to garbage and missing Host headers, never throwing', async () => {
    const app = okApp({ allowedHosts: ['www.example.com', 'localhost'] });
    const garbage = ['', ':', ':80', 'example.com:abc', 'example.com:99999', '[', '[::1', 'exa mple.com', 'é.example.com', '%00', 'localhost@evil.com', 'evil.com/localhost'];
    for (const host of garbage) {
      const response = await app.handle(fakeRequest({ headers: [['host', host]] }));
      expect([host, response.statusCode]).toEqual([host, 400]);
      expect(await response.text()).toBe('Invalid host header');
    }
    const missing = await app.handle(fakeRequest({}));
    expect(missing.statusCode).toBe(400);
  });

  it('refuses a request with several Host headers, whichever comes first (RFC 9112 §3.2)', async () => {
    const app = okApp({ allowedHosts: ['example.com'] });
    const first = await app.handle(fakeRequest({ headers: [['host', 'example.com'], ['host', 'evil.com']] }));
    expect(first.statusCode).toBe(400);
    const second = await app.handle(fakeRequest({ headers: [['host', 'evil.com'], ['host', 'example.com']] }));
    expect(second.statusCode).toBe(400);
  });
});
