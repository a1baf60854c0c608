import request from 'supertest';
import { app as corsApp } from '../../docs/examples/advanced/cors';
import { app as gzipApp } from '../../docs/examples/advanced/gzip';
import { app as httpsRedirectApp } from '../../docs/examples/advanced/httpsredirect';
import { app as requestIdApp, logger } from '../../docs/examples/advanced/requestid';
import { app as routeMiddlewareApp } from '../../docs/examples/advanced/route-middleware';
import { app as serverTimingApp } from '../../docs/examples/advanced/servertiming';
import { app as sessionsApp } from '../../docs/examples/advanced/sessions';
import { app as starletteStyleApp } from '../../docs/examples/advanced/starlette-style';
import { app as timeoutApp } from '../../docs/examples/advanced/timeout';
import { app as trustedHostApp } from '../../docs/examples/advanced/trustedhost';
import { app as proxyHeadersApp } from '../../docs/examples/advanced/proxyheaders';
import { within } from '../helpers';

describe('docs/advanced/middleware.md', () => {
  it('starlette-style.ts: the middleware option, first in the list outermost', async () => {
    const client = request(starletteStyleApp.callback());
    await client.get('/').set('Host', 'www.example.com').expect(200).expect({ message: 'Hello World' });
    await client.get('/').set('Host', 'evil.example').expect(400).expect('Invalid host header');
  });

  it('cors.ts: preflights and simple requests from the listed origins, with credentials', async () => {
    const client = request(corsApp.callback());
    const preflight = await client
      .options('/')
      .set('Origin', 'http://localhost:8080')
      .set('Access-Control-Request-Method', 'PUT')
      .set('Access-Control-Request-Headers', 'X-Custom')
      .expect(200)
      .expect('OK');
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:8080');
    expect(preflight.headers['access-control-allow-headers']).toBe('X-Custom');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-max-age']).toBe('600');

    const simple = await client.get('/').set('Origin', 'https://localhost.tiangolo.com').expect(200);
    expect(simple.headers['access-control-allow-origin']).toBe('https://localhost.tiangolo.com');
    expect(simple.headers['vary']).toBe('Origin');

    await client
      .options('/')
      .set('Origin', 'https://elsewhere.example')
      .set('Access-Control-Request-Method', 'GET')
      .expect(400)
      .expect('Disallowed CORS origin');
  });

  it('gzip.ts: compresses bodies of at least minimumSize bytes, with brotli when preferred', async () => {
    const client = request(gzipApp.callback());
    const gzipped = await client.get('/').set('Accept-Encoding', 'gzip').expect(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers['vary']).toBe('Accept-Encoding');
    expect(gzipped.text).toBe('somebigcontent'.repeat(100));
    expect(Number(gzipped.headers['content-length'])).toBeLessThan(1400);

    const br = await client.get('/').set('Accept-Encoding', 'br, gzip').buffer(true).parse((res, done) => {
      res.on('data', () => undefined);
      res.on('end', () => done(null, null));
    });
    expect(br.headers['content-encoding']).toBe('br');

    const plain = await client.get('/').set('Accept-Encoding', 'identity').expect(200);
    expect(plain.headers).not.toHaveProperty('content-encoding');
    expect(plain.headers['content-length']).toBe('1400');
  });

  it('trustedhost.ts: example.com and its subdomains only', async () => {
    const client = request(trustedHostApp.callback());
    await client.get('/').set('Host', 'example.com').expect(200);
    await client.get('/').set('Host', 'api.example.com:8000').expect(200);
    await client.get('/').set('Host', 'example.org').expect(400).expect('Invalid host header');
  });

  it('proxyheaders.ts: behind the trusted local proxy, the client and scheme are the forwarded ones', async () => {
    const res = await request(proxyHeadersApp.callback())
      .get('/whoami')
      .set('Host', 'example.com')
      .set('X-Forwarded-For', '203.0.113.9, 10.1.2.3')
      .set('X-Forwarded-Proto', 'https')
      .expect(200);
    expect(res.body).toEqual({ client: '203.0.113.9', url: 'https://example.com/whoami' });
  });

  it('httpsredirect.ts: plain http is redirected to https with a 307', async () => {
    const res = await request(httpsRedirectApp.callback()).get('/path?q=1').set('Host', 'example.com').expect(307);
    expect(res.headers.location).toBe('https://example.com/path?q=1');
  });

  it('sessions.ts: a visit counter in a signed cookie, cleared when emptied', async () => {
    const agent = request.agent(sessionsApp.callback());
    const first = await agent.get('/visits').expect(200).expect({ visits: 1 });
    expect(first.headers['set-cookie'][0]).toMatch(/^session=\S+; path=\/; Max-Age=86400; httponly; samesite=lax$/);
    await agent.get('/visits').expect({ visits: 2 });
    const out = await agent.post('/logout').expect(200).expect({ loggedOut: true });
    expect(out.headers['set-cookie'][0]).toMatch(/^session=null; path=\/; expires=Thu, 01 Jan 1970 00:00:00 GMT;/);
    await agent.get('/visits').expect({ visits: 1 });
  });

  it('requestid.ts: log lines carry the request id, in background tasks too', async () => {
    const lines: string[] = [];
    let backgroundLogged: () => void = () => undefined;
    const background = new Promise<void>((resolve) => (backgroundLogged = resolve));
    const original = logger.write;
    logger.write = (line) => {
      lines.push(line);
      if (line.includes('confirmation')) backgroundLogged();
    };
    try {
      const res = await request(requestIdApp.callback()).post('/orders').set('X-Request-ID', 'order-123').expect(200);
      expect(res.headers['x-request-id']).toBe('order-123');
      expect(res.body).toEqual({ created: true, requestId: 'order-123' });
      await within(background, 2000, 'the background log line');
      expect(lines).toEqual(['[order-123] creating an order', '[order-123] sending the confirmation email']);
    } finally {
      logger.write = original;
    }
  });

  it('servertiming.ts: the marks and the timed function, then total', async () => {
    const res = await request(serverTimingApp.callback()).get('/users').expect(200).expect({ users: ['ada', 'grace'] });
    const header: string = res.headers['server-timing'];
    expect(header).toMatch(/^cache;desc="miss", db;dur=[0-9.]+;desc="Load users", total;dur=[0-9.]+$/);
    expect(Number(/db;dur=([0-9.]+)/.exec(header)?.[1])).toBeGreaterThanOrEqual(15);
  });

  it('timeout.ts: 504 after one second; fast routes unaffected', async () => {
    const client = request(timeoutApp.callback());
    await client.get('/fast').expect(200).expect({ ok: true });
    const started = performance.now();
    await client.get('/report').expect(504).expect({ detail: 'Gateway Timeout' });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2500);
  });

  it('route-middleware.ts: GZip on one route, a token check on one mount', async () => {
    const client = request(routeMiddlewareApp.callback());
    const exported = await client.get('/export').set('Accept-Encoding', 'gzip').expect(200);
    expect(exported.headers['content-encoding']).toBe('gzip');
    const home = await client.get('/').set('Accept-Encoding', 'gzip').expect(200).expect({ message: 'Hello World' });
    expect(home.headers).not.toHaveProperty('vary');

    await client.get('/tenants/acme/admin/users/7').expect(401).expect('www-authenticate', 'Bearer').expect({ detail: 'Not authenticated' });
    await client
      .get('/tenants/acme/admin/users/7')
      .set('Authorization', 'Bearer secret-token')
      .expect(200)
      .expect({ userId: 7, tenant: 'acme', rootPath: '/tenants/acme/admin' });
  });
});
