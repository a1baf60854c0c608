import { APIRouter, Application, MemoryStore, Middleware, ProxyHeadersMiddleware, RateLimitMiddleware, RedisStore, type RateLimitOptions } from 'stackware';
import { describeWith, recordingLogger, requestBytes, serve, sleep } from '../helpers';
import { REDIS_MISSING, redisAvailable, redisClient, startRedis, type RedisServer } from '../redis-server';
import { clientAddressKey } from '../../lib/ratelimit/client-key';

function limitedApp(options: RateLimitOptions, logger = recordingLogger()): Application {
  const app = new Application({ logger });
  app.get('/', () => ({ ok: true }));
  app.get('/health', () => ({ ok: true }));
  app.addMiddleware(RateLimitMiddleware, options);
  return app;
}

async function statuses(url: string, count: number, headers: Record<string, string> = {}): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, () => requestBytes(url, { headers }).then((r) => r.status)));
}

/** Batches of 4 statuses, every 100 ms for up to 5 s, until one holds a 429 (the store answers again); the last batch. */
async function statusesOnceLimited(url: string): Promise<number[]> {
  let recovered: number[] = [];
  for (let attempt = 0; attempt < 50 && !recovered.includes(429); attempt++) {
    await sleep(100);
    recovered = await statuses(url, 4);
  }
  return recovered;
}

describe('RateLimitMiddleware', () => {
  it('lets `limit` requests through, then answers 429 {"detail": "Too Many Requests"} with Retry-After', async () => {
    const server = await serve(limitedApp({ limit: 3, window: 60, store: new MemoryStore() }));
    try {
      const codes = await statuses(server.url, 5);
      expect(codes.filter((code) => code === 200)).toHaveLength(3);
      const refused = await requestBytes(server.url);
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body.toString())).toEqual({ detail: 'Too Many Requests' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(59);
      expect(refused.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
      expect(refused.headers['ratelimit']).toMatch(/^"default";r=0;t=(59|60)$/);
    } finally {
      await server.close();
    }
  });

  it('sends the IETF RateLimit headers on every allowed answer, counting down', async () => {
    const server = await serve(limitedApp({ limit: 5, window: 10, policyName: 'api' }));
    try {
      const first = await requestBytes(server.url);
      const second = await requestBytes(server.url);
      expect(first.headers['ratelimit-policy']).toBe('"api";q=5;w=10');
      expect(first.headers['ratelimit']).toBe('"api";r=4;t=10');
      expect(second.headers['ratelimit']).toMatch(/^"api";r=3;t=(9|10)$/);
    } finally {
      await server.close();
    }
  });

  it('slides: a burst at the end of one window and at the start of the next never gets 2× limit through', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ clock: () => now });
    const server = await serve(limitedApp({ limit: 4, window: 1, store }));
    try {
      now += 900; // late in a fixed window [1 000 000, 1 001 000)
      const late = await statuses(server.url, 4);
      now += 200; // a fixed window would have reset here
      const early = await statuses(server.url, 4);
      expect([...late, ...early].filter((code) => code === 200)).toHaveLength(4);
      now += 1000;
      expect((await statuses(server.url, 1))[0]).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('keys by the client ProxyHeadersMiddleware settled, not by the proxy address', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.get('/', () => ({ ok: true }));
    app.addMiddleware(RateLimitMiddleware, { limit: 1, window: 60 });
    app.addMiddleware(ProxyHeadersMiddleware, { trustedHosts: ['127.0.0.1'] });
    const server = await serve(app);
    try {
      expect((await statuses(server.url, 1, { 'x-forwarded-for': '203.0.113.1' }))[0]).toBe(200);
      expect((await statuses(server.url, 1, { 'x-forwarded-for': '203.0.113.2' }))[0]).toBe(200);
      expect((await statuses(server.url, 1, { 'x-forwarded-for': '203.0.113.1' }))[0]).toBe(429);
    } finally {
      await server.close();
    }
  });

  it('groups IPv6 clients by /64 and reads IPv4-mapped addresses as IPv4', () => {
    expect(clientAddressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8:1:2:ffff:1:2:3')).toBe(clientAddressKey('2001:0db8:0001:0002::9'));
    expect(clientAddressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('198.51.100.4')).toBe('198.51.100.4');
  });

  it('neither counts nor limits skipped requests, nor requests whose key is null', async () => {
    const server = await serve(
      limitedApp({ limit: 1, window: 60, skip: (request) => request.url.pathname === '/health', key: (request) => request.headers.get('x-user') }),
    );
    try {
      expect(await statuses(new URL('/health', server.url).href, 3)).toEqual([200, 200, 200]);
      expect(await statuses(server.url, 3)).toEqual([200, 200, 200]);
      expect(await statuses(server.url, 2, { 'x-user': 'ann' })).toEqual(expect.arrayContaining([200, 429]));
    } finally {
      await server.close();
    }
  });

  it('rejects a limit or window that cannot work', () => {
    expect(() => new RateLimitMiddleware({ handle: async () => undefined as never }, { limit: 0, window: 1 })).toThrow(/limit/);
    expect(() => new RateLimitMiddleware({ handle: async () => undefined as never }, { limit: 1, window: -1 })).toThrow(/window/);
  });

  it('limits per included router: a router with its own RateLimitMiddleware counts all its routes together, apart from another router and the app', async () => {
    const strict = new APIRouter({ prefix: '/strict', middleware: [new Middleware(RateLimitMiddleware, { limit: 2, window: 60, policyName: 'strict' })] });
    strict.get('/a', () => 'a');
    strict.get('/b/{id}', () => 'b');
    const loose = new APIRouter({ prefix: '/loose', middleware: [new Middleware(RateLimitMiddleware, { limit: 4, window: 60, policyName: 'loose' })] });
    loose.get('/a', () => 'a');
    const app = new Application({ logger: recordingLogger() });
    app.includeRouter(strict, { prefix: '/v1' });
    app.includeRouter(loose, { prefix: '/v1' });
    app.get('/open', () => 'open');
    const server = await serve(app);
    try {
      const status = async (path: string) => (await requestBytes(server.url, { path })).status;
      const strictCodes = [await status('/v1/strict/a'), await status('/v1/strict/b/1'), await status('/v1/strict/b/2'), await status('/v1/strict/a')];
      expect(strictCodes).toEqual([200, 200, 429, 429]);
      const looseCodes = [];
      for (let i = 0; i < 5; i++) looseCodes.push(await status('/v1/loose/a'));
      expect(looseCodes).toEqual([200, 200, 200, 200, 429]);
      const open = await requestBytes(server.url, { path: '/open' });
      expect(open.status).toBe(200);
      expect(open.headers['ratelimit-policy']).toBeUndefined();
      const refused = await requestBytes(server.url, { path: '/v1/strict/a' });
      expect(refused.headers['ratelimit-policy']).toBe('"strict";q=2;w=60');
    } finally {
      await server.close();
    }
  });

  describe.each([
    [false, 503],
    [true, 200],
  ])('when the store fails (failOpen: %s)', (failOpen, expected) => {
    it(`answers ${expected}, logs the outage once, and limits again once the store answers`, async () => {
      let broken = true;
      const memory = new MemoryStore();
      const store = { ...memory, hit: (key: string, limit: number, windowMs: number) => (broken ? Promise.reject(new Error('store down')) : memory.hit(key, limit, windowMs)) };
      const logger = recordingLogger();
      const server = await serve(limitedApp({ limit: 1, window: 60, store: store as MemoryStore, failOpen }, logger));
      try {
        expect(await statuses(server.url, 3)).toEqual([expected, expected, expected]);
        expect(logger.errors.map((entry) => entry.message)).toEqual([expect.stringContaining(failOpen ? 'letting requests through' : 'answering 503')]);
        broken = false;
        expect((await statuses(server.url, 2)).sort()).toEqual([200, 429]);
        expect(logger.errors.at(-1)?.message).toContain('answers again');
      } finally {
        await server.close();
      }
    });
  });
});

describeWith(redisAvailable, REDIS_MISSING)('RateLimitMiddleware with RedisStore (real redis-server)', () => {
  let redis: RedisServer;
  beforeAll(async () => (redis = await startRedis()));
  afterAll(async () => redis?.dispose());

  it('shares one limit between two applications (as two processes would) on one Redis', async () => {
    const clients = [await redisClient(redis.socket), await redisClient(redis.socket)];
    const servers = await Promise.all(clients.map((client) => serve(limitedApp({ limit: 5, window: 60, store: new RedisStore(client) }))));
    try {
      const codes = (await Promise.all(servers.map((server) => statuses(server.url, 5)))).flat();
      expect(codes.filter((code) => code === 200)).toHaveLength(5);
      expect(codes.filter((code) => code === 429)).toHaveLength(5);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  it('Redis stopped mid-load: fails closed with 503 and no crash; restarted: limits enforced again', async () => {
    const client = await redisClient(redis.socket);
    await client.flushAll();
    const logger = recordingLogger();
    const server = await serve(limitedApp({ limit: 3, window: 60, store: new RedisStore(client, { commandTimeoutMs: 300 }) }, logger));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const load = statuses(server.url, 2);
      await redis.stop();
      const during = await statuses(server.url, 4);
      await load;
      expect(during).toEqual([503, 503, 503, 503]);
      await redis.start();
      const recovered = await statusesOnceLimited(server.url);
      expect(recovered).toContain(429);
      expect(recovered.filter((code) => code === 200).length).toBeLessThanOrEqual(3);
      expect(logger.errors.filter((entry) => entry.message.includes('the store failed'))).toHaveLength(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await server.close();
      await client.close().catch(() => undefined);
    }
  });
  it('Redis stopped mid-load with failOpen: true: lets every request through unlimited, logs once, no crash; restarted: limits enforced again', async () => {
    const client = await redisClient(redis.socket);
    await client.flushAll();
    const logger = recordingLogger();
    const server = await serve(limitedApp({ limit: 3, window: 60, store: new RedisStore(client, { commandTimeoutMs: 300 }), failOpen: true }, logger));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      expect(await statuses(server.url, 3)).toEqual([200, 200, 200]);
      expect((await statuses(server.url, 1))[0]).toBe(429);
      const load = statuses(server.url, 2);
      await redis.stop();
      // Over the limit already, yet let through: the store is down and the policy is to fail open.
      const during = await statuses(server.url, 6);
      await load;
      expect(during).toEqual([200, 200, 200, 200, 200, 200]);
      const failures = logger.errors.filter((entry) => entry.message.includes('the store failed'));
      expect(failures).toHaveLength(1);
      expect(failures[0]!.message).toContain('letting requests through unlimited');
      await redis.start();
      const recovered = await statusesOnceLimited(server.url);
      expect(recovered).toContain(429);
      expect(logger.errors.at(-1)?.message).toContain('the store answers again');
      expect(logger.errors.filter((entry) => entry.message.includes('the store failed'))).toHaveLength(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await server.close();
      await client.close().catch(() => undefined);
    }
  });
});
