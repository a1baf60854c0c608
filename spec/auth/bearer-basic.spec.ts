import request from 'supertest';
import { Application, AuthenticationMiddleware, BasicAuthBackend, BearerTokenBackend, JSONResponse, requires, safeEqual, SimpleUser, type Request } from 'stackware';

const me = (req: Request) => new JSONResponse({ user: req.user.displayName, scopes: req.auth.scopes });

describe('BearerTokenBackend', () => {
  const tokens = new Map([['t-alice', 'alice']]);
  const app = new Application();
  app.addMiddleware(AuthenticationMiddleware, {
    backend: new BearerTokenBackend((token) => {
      const name = tokens.get(token);
      return name === undefined ? null : { user: new SimpleUser(name), scopes: ['read'] };
    }, { realm: 'api' }),
  });
  app.get('/me', requires('authenticated', me));
  app.get('/write', requires('write', me));
  const client = request(app.callback());

  it('gives the user and scopes verify returned for a known token', async () => {
    const res = await client.get('/me').set('Authorization', 'Bearer t-alice');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'alice', scopes: ['authenticated', 'read'] });
  });

  it('answers no token 401 with WWW-Authenticate: Bearer realm, an unknown one with error="invalid_token" (RFC 6750)', async () => {
    const missing = await client.get('/me');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="api"');
    const other = await client.get('/me').set('Authorization', 'Basic YTpi');
    expect(other.headers['www-authenticate']).toBe('Bearer realm="api"');
    const bad = await client.get('/me').set('Authorization', 'Bearer t-mallory');
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token", error_description="The access token is not valid"');
  });

  it('answers missing scopes 403 with error="insufficient_scope"', async () => {
    const res = await client.get('/write').set('Authorization', 'Bearer t-alice');
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", scope="write"');
  });

  it('refuses a verify that is not a function', () => {
    expect(() => new BearerTokenBackend(undefined as never)).toThrow(TypeError);
  });
});

describe('BasicAuthBackend', () => {
  const app = new Application();
  app.addMiddleware(AuthenticationMiddleware, {
    backend: new BasicAuthBackend((username, password) => (username === 'admin' && safeEqual(password, 's3cret:with colon') ? new SimpleUser(username) : null), {
      realm: 'Admin area',
    }),
  });
  app.get('/admin', requires('authenticated', me));
  app.get('/', me);
  const client = request(app.callback());
  const challenge = 'Basic realm="Admin area", charset="UTF-8"';

  it('accepts the right user and password (the password may hold a colon, RFC 7617)', async () => {
    const res = await client.get('/admin').auth('admin', 's3cret:with colon');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'admin', scopes: ['authenticated'] });
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong password', `Basic ${Buffer.from('admin:nope').toString('base64')}`],
    ['no colon', `Basic ${Buffer.from('admin').toString('base64')}`],
    ['bad base64', 'Basic !!!'],
  ])('answers %s 401 with WWW-Authenticate: Basic realm (RFC 7617)', async (_what, header) => {
    const req = client.get('/admin');
    if (header !== undefined) req.set('Authorization', header);
    const res = await req;
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(challenge);
  });

  it('lets wrong credentials through as anonymous where nothing is required', async () => {
    const res = await client.get('/').auth('admin', 'nope');
    expect(res.status).toBe(200);
    expect(res.body.user).toBe('');
  });

  it('safeEqual compares strings of any length', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
