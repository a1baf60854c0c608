import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Application } from 'stackware';
import { hmacToken, now, signedToken } from '../auth/tokens';

const JWT_SECRET = 'docs-secret-that-is-long-enough-for-hs256';
process.env.JWT_SECRET = JWT_SECRET;
process.env.SESSION_SECRET = 'docs-session-secret-long-enough-for-hmac';
process.env.ADA_PASSWORD = 'correct horse battery staple';

describe('docs/security.md: jwt-api', () => {
  const { app } = require('../../docs/examples/security/jwt-api') as typeof import('../../docs/examples/security/jwt-api');
  const client = request(app.callback());
  const token = (scope: string, extra: object = {}) => hmacToken({ alg: 'HS256' }, { sub: 'ada', aud: 'orders-api', exp: now(60), scope, ...extra }, JWT_SECRET);

  it('answers without a token 401 with the Bearer challenge, and with one that lacks a scope 403', async () => {
    await client.get('/health').expect(200);
    await client.get('/orders').expect(401).expect('www-authenticate', 'Bearer realm="orders"');
    await client.get('/orders').auth(token('orders:read'), { type: 'bearer' }).expect(200).expect({ user: 'ada', orders: [] });
    await client
      .post('/orders')
      .auth(token('orders:read'), { type: 'bearer' })
      .expect(403)
      .expect('www-authenticate', 'Bearer realm="orders", error="insufficient_scope", scope="orders:read orders:write"');
    await client.post('/orders').auth(token('orders:read orders:write'), { type: 'bearer' }).expect(201);
    const expired = await client.get('/orders').auth(token('orders:read', { exp: now(-60) }), { type: 'bearer' });
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toBe('Bearer realm="orders", error="invalid_token", error_description="The token has expired"');
    await client.get('/orders').auth(token('orders:read', { aud: 'billing' }), { type: 'bearer' }).expect(401);
  });
});

describe('docs/security.md: jwt-api with JWKS_URL (a real local JWKS server)', () => {
  it('verifies RS256 tokens from the identity provider with its key set, and checks the issuer', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256' }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.JWKS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    process.env.JWT_ISSUER = 'https://idp.test';
    try {
      let app: Application | undefined;
      jest.isolateModules(() => {
        app = (require('../../docs/examples/security/jwt-api') as typeof import('../../docs/examples/security/jwt-api')).app;
      });
      const client = request(app!.callback());
      const token = (iss: string) => signedToken({ alg: 'RS256', kid: 'k1' }, { sub: 'idp-user', iss, aud: 'orders-api', exp: now(60), scope: 'orders:read' }, privateKey);
      await client.get('/orders').auth(token('https://idp.test'), { type: 'bearer' }).expect(200).expect({ user: 'idp-user', orders: [] });
      await client.get('/orders').auth(token('https://other.test'), { type: 'bearer' }).expect(401);
      await client.get('/orders').auth(hmacToken({ alg: 'HS256', kid: 'k1' }, { sub: 'x', exp: now(60) }, JWT_SECRET), { type: 'bearer' }).expect(401);
    } finally {
      delete process.env.JWKS_URL;
      delete process.env.JWT_ISSUER;
      server.close();
    }
  });
});

describe('docs/security.md: web-app', () => {
  const { app } = require('../../docs/examples/security/web-app') as typeof import('../../docs/examples/security/web-app');

  it('redirects to login, logs in with the CSRF token, refuses a cross-site post, and puts the page nonce in the policy', async () => {
    const agent = request.agent(app.callback());
    const account = await agent.get('/account').set('Host', 'shop.test');
    expect(account.status).toBe(303);
    expect(account.headers.location).toBe('http://shop.test/login?next=http%3A%2F%2Fshop.test%2Faccount');

    const login = await agent.get('/login');
    expect(login.status).toBe(200);
    const nonce = /nonce="([^"]+)"/.exec(login.text)![1];
    expect(login.headers['content-security-policy']).toContain(`script-src 'self' 'nonce-${nonce}'`);
    const token = /name="csrftoken" value="([^"]+)"/.exec(login.text)![1];

    const crossSite = await agent.post('/login').set('Sec-Fetch-Site', 'cross-site').set('Origin', 'https://evil.test').type('form').send(`csrftoken=${token}&username=ada&password=x`);
    expect(crossSite.status).toBe(403);
    expect(crossSite.text).toContain('CSRF check failed');
    expect(crossSite.headers['x-frame-options']).toBe('SAMEORIGIN');

    await agent.post('/login').type('form').send(`username=ada&password=${encodeURIComponent(process.env.ADA_PASSWORD!)}`).expect(403);
    await agent.post('/login').type('form').send(`csrftoken=${token}&username=ada&password=wrong`).expect(401);
    const ok = await agent.post('/login').type('form').send(`csrftoken=${token}&username=ada&password=${encodeURIComponent(process.env.ADA_PASSWORD!)}`);
    expect(ok.status).toBe(303);
    const home = await agent.get('/account').expect(200);
    expect(home.text).toContain('<h1>Hello ada</h1>');
  });
});

describe('docs/security.md: headers', () => {
  const { app } = require('../../docs/examples/security/headers') as typeof import('../../docs/examples/security/headers');

  it('sets the configured policy, and the widget route its own set', async () => {
    const client = request(app.callback());
    const home = await client.get('/').expect(200);
    expect(home.headers['content-security-policy']).toContain("script-src 'self' https://cdn.example.com;");
    expect(home.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload');
    expect(home.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(home.headers['x-frame-options']).toBe('SAMEORIGIN');
    const widget = await client.get('/widget').expect(200);
    expect(widget.headers).not.toHaveProperty('x-frame-options');
    expect(widget.headers['content-security-policy']).toContain('frame-ancestors https://partner.example');
    expect(widget.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });
});

describe('docs/security.md: cors-csrf', () => {
  const { app } = require('../../docs/examples/security/cors-csrf') as typeof import('../../docs/examples/security/cors-csrf');

  it('lets the frontend origin post with its cookie, refuses another origin, lets a cookieless client through', async () => {
    const client = request(app.callback());
    await client.options('/cart/items').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'POST').expect(200);
    await client.post('/cart/items').set('Origin', 'https://app.example.com').set('Sec-Fetch-Site', 'same-site').set('Cookie', 's=1').expect(200);
    const evil = await client.post('/cart/items').set('Origin', 'https://evil.example').set('Sec-Fetch-Site', 'cross-site').set('Cookie', 's=1');
    expect(evil.status).toBe(403);
    await client.post('/cart/items').set('Authorization', 'Bearer t').type('form').send('a=1').expect(200);
  });
});
