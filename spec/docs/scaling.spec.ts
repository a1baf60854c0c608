import { createServer, type AddressInfo } from 'node:net';
import { describeWith, requestBytes, serve } from '../helpers';
import { REDIS_MISSING, redisAvailable, startRedis, type RedisServer } from '../redis-server';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe('docs/scaling.md: per-route-limit', () => {
  it('limits POST /login per API key and leaves other routes alone', async () => {
    const { app } = require('../../docs/examples/scaling/per-route-limit') as typeof import('../../docs/examples/scaling/per-route-limit');
    const server = await serve(app);
    try {
      const login = (key: string) => requestBytes(server.url, { method: 'POST', path: '/login', headers: { 'x-api-key': key } }).then((r) => r.status);
      const codes = [];
      for (let i = 0; i < 6; i++) codes.push(await login('k1'));
      expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
      expect(await login('k2')).toBe(200);
      expect((await requestBytes(server.url)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describeWith(redisAvailable, REDIS_MISSING)('docs/scaling.md: shared-state (real redis-server)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
    process.env.SESSION_SECRET = 'a-test-secret-that-is-long-enough-for-hmac';
  });
  afterAll(async () => redis?.dispose());

  it('limits, keeps the session in Redis and renews its id at login', async () => {
    const example = require('../../docs/examples/scaling/shared-state') as typeof import('../../docs/examples/scaling/shared-state');
    await example.ready;
    const server = await serve(example.app);
    try {
      const login = await requestBytes(server.url, { path: '/login' });
      const cookie = login.headers['set-cookie']![0]!.split(';')[0]!;
      const me = await requestBytes(server.url, { path: '/me', headers: { cookie } });
      expect(JSON.parse(me.body.toString())).toEqual({ user: 'ann' });
      expect(me.headers['ratelimit']).toMatch(/^"default";r=98;t=\d+$/);
    } finally {
      await server.close();
      await example.client.close();
    }
  });
});
