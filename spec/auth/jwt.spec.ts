import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Application, AuthenticationMiddleware, JWTBackend, JSONResponse, requires, type JWTOptions, type Request } from 'stackware';
import { hmacToken, now, signedToken, unsignedToken } from './tokens';

const secret = 'a-secret-of-at-least-thirty-two-bytes!';

function apiApp(options: JWTOptions): Application {
  const app = new Application();
  app.addMiddleware(AuthenticationMiddleware, { backend: new JWTBackend(options) });
  const me = (req: Request) => new JSONResponse({ user: req.user.displayName, id: req.user.identity, scopes: req.auth.scopes });
  app.get('/me', requires('authenticated', me));
  app.get('/admin', requires('admin', me));
  app.get('/public', me);
  return app;
}

const hs = (payload: object, key: string | Buffer = secret) => hmacToken({ alg: 'HS256', typ: 'JWT' }, payload, key);

describe('JWTBackend with a secret', () => {
  const app = apiApp({ secret, algorithms: ['HS256'], issuer: 'https://issuer.test', audience: 'api', realm: 'api' });
  const client = request(app.callback());
  const good = { sub: 'u-1', name: 'Ada', iss: 'https://issuer.test', aud: 'api', exp: now(60), scope: 'read write' };

  it('accepts a valid token: the user is the sub, the scopes are authenticated and the scope claim', async () => {
    const res = await client.get('/me').auth(hs(good), { type: 'bearer' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'Ada', id: 'u-1', scopes: ['authenticated', 'read', 'write'] });
  });

  it('answers 401 with a Bearer challenge without an error code when no token is sent (RFC 6750 section 3.1)', async () => {
    const res = await client.get('/me');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it.each([
    ['an expired token', { ...good, exp: now(-120) }, 'The token has expired'],
    ['another issuer', { ...good, iss: 'https://evil.test' }, "The token's iss claim is not valid"],
    ['another audience', { ...good, aud: 'other' }, "The token's aud claim is not valid"],
    ['no exp', { sub: 'u-1', iss: 'https://issuer.test', aud: 'api' }, 'The token has no exp claim'],
  ])('answers %s 401 with error="invalid_token" and a description', async (_what, payload, description) => {
    const res = await client.get('/me').auth(hs(payload), { type: 'bearer' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer realm="api", error="invalid_token", error_description="${description}"`);
  });

  it('refuses a token signed with another secret, and a token with a tampered payload', async () => {
    expect((await client.get('/me').auth(hs(good, 'another-secret-of-thirty-two-bytes!!'), { type: 'bearer' })).status).toBe(401);
    const [h, , s] = hs(good).split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...good, sub: 'admin' })).toString('base64url')}.${s}`;
    const res = await client.get('/me').auth(tampered, { type: 'bearer' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('refuses an alg "none" token (the unsecured-JWT attack)', async () => {
    const res = await client.get('/me').auth(unsignedToken(good), { type: 'bearer' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('refuses an HS512 token when only HS256 is allowed', async () => {
    const res = await client.get('/me').auth(hmacToken({ alg: 'HS512' }, good, secret), { type: 'bearer' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error_description="The token\'s algorithm is not allowed"');
  });

  it('answers a malformed Authorization: Bearer header 400 with error="invalid_request"', async () => {
    const res = await client.get('/me').set('Authorization', 'Bearer two words');
    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  it('answers missing scopes 403 with error="insufficient_scope" naming them (RFC 6750 section 3.1)', async () => {
    const res = await client.get('/admin').auth(hs(good), { type: 'bearer' });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", scope="admin"');
  });

  it('lets a bad token through as anonymous on a route that does not require authentication', async () => {
    const res = await client.get('/public').auth(hs({ ...good, exp: now(-10) }), { type: 'bearer' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: '', id: '', scopes: [] });
  });

  it('tolerates clockTolerance seconds of skew on exp', async () => {
    const lenient = request(apiApp({ secret, algorithms: ['HS256'], clockTolerance: 120 }).callback());
    expect((await lenient.get('/me').auth(hs({ sub: 'u', exp: now(-60) }), { type: 'bearer' })).status).toBe(200);
    expect((await lenient.get('/me').auth(hs({ sub: 'u', exp: now(-600) }), { type: 'bearer' })).status).toBe(401);
  });

  it('reads the token from a cookie when configured, the header first', async () => {
    const cookieClient = request(apiApp({ secret, algorithms: ['HS256'], cookie: 'access_token' }).callback());
    const res = await cookieClient.get('/me').set('Cookie', `access_token=${hs({ sub: 'c', exp: now(60) })}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe('c');
  });
});

describe('JWTBackend options', () => {
  it('refuses, when constructed, "none", an algorithm of the other key kind, no algorithms, a short secret, two keys', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const bad: unknown[] = [
      { secret, algorithms: ['none'] },
      { secret, algorithms: ['RS256'] },
      { publicKey, algorithms: ['RS256', 'HS256'] },
      { secret, algorithms: [] },
      { secret },
      { secret: 'short', algorithms: ['HS256'] },
      { secret, publicKey, algorithms: ['HS256'] },
      { algorithms: ['HS256'] },
    ];
    for (const options of bad) expect(() => new JWTBackend(options as JWTOptions)).toThrow(TypeError);
  });
});

describe('JWTBackend with a public key', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const client = request(apiApp({ publicKey: pem, algorithms: ['RS256'] }).callback());
  const payload = { sub: 'rs-user', exp: now(60) };

  it('accepts an RS256 token signed with the private key', async () => {
    const res = await client.get('/me').auth(signedToken({ alg: 'RS256' }, payload, privateKey), { type: 'bearer' });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe('rs-user');
  });

  it('refuses an HS256 token keyed with the public key PEM (the HS/RS algorithm-confusion attack)', async () => {
    for (const key of [pem, Buffer.from(publicKey.export({ type: 'spki', format: 'der' }))]) {
      const forged = hmacToken({ alg: 'HS256', typ: 'JWT' }, payload, key);
      const res = await client.get('/me').auth(forged, { type: 'bearer' });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    }
  });

  it('refuses an alg "none" token', async () => {
    expect((await client.get('/me').auth(unsignedToken(payload), { type: 'bearer' })).status).toBe(401);
  });

  it('takes the key as a JWK too', async () => {
    const jwkClient = request(apiApp({ publicKey: publicKey.export({ format: 'jwk' }), algorithms: ['RS256'] }).callback());
    expect((await jwkClient.get('/me').auth(signedToken({ alg: 'RS256' }, payload, privateKey), { type: 'bearer' })).status).toBe(200);
  });
});

describe('JWTBackend with a JWKS URL (a real local HTTP server)', () => {
  const keyA = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyB = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyC = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = (key: typeof keyA, kid: string) => ({ ...key.publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' });
  let served = [jwk(keyA, 'a')];
  let fetches = 0;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const token = (key: typeof keyA, kid: string) => signedToken({ alg: 'ES256', kid }, { sub: `user-${kid}`, exp: now(60) }, key.privateKey);

  // Long enough that the requests of one phase fit in it on a loaded machine.
  const COOLDOWN = 2_000;

  it('fetches lazily, caches, and refetches for an unknown kid at most once per cooldown', async () => {
    const client = request(apiApp({ jwksUrl: url, algorithms: ['ES256'], jwksCooldown: COOLDOWN }).callback());
    expect((await client.get('/public')).status).toBe(200);
    expect((await client.get('/me')).status).toBe(401);
    expect(fetches).toBe(0);

    for (let i = 0; i < 3; i += 1) expect((await client.get('/me').auth(token(keyA, 'a'), { type: 'bearer' })).status).toBe(200);
    expect(fetches).toBe(1);

    // The issuer rotates in key b; within the cooldown a b token cannot trigger a refetch.
    served = [jwk(keyA, 'a'), jwk(keyB, 'b')];
    for (let i = 0; i < 5; i += 1) {
      const res = await client.get('/me').auth(token(keyB, 'b'), { type: 'bearer' });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error_description="The token was not signed by a known key"');
    }
    expect(fetches).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, COOLDOWN + 100));
    expect((await client.get('/me').auth(token(keyB, 'b'), { type: 'bearer' })).status).toBe(200);
    expect(fetches).toBe(2);

    // A flood of tokens with a kid nobody serves costs no more than one fetch per cooldown.
    for (let i = 0; i < 10; i += 1) expect((await client.get('/me').auth(token(keyC, 'c'), { type: 'bearer' })).status).toBe(401);
    expect(fetches).toBe(2);
    expect((await client.get('/me').auth(token(keyA, 'a'), { type: 'bearer' })).status).toBe(200);
  });
});
