import fc from 'fast-check';
import { MemoryStore, RedisStore, type Store } from 'stackware';
import { describeWith, sleep } from '../helpers';
import { REDIS_MISSING, redisAvailable, redisClient, startRedis, type RedisServer } from '../redis-server';

/** The contract every Store keeps, run against each implementation. */
function storeContract(make: () => Promise<{ store: Store; close: () => Promise<void> }>): void {
  let store: Store;
  let close: () => Promise<void>;
  beforeEach(async () => ({ store, close } = await make()));
  afterEach(async () => close());

  it('lets exactly `limit` hits through a window, refusing the rest without counting them', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => store.hit('k', 4, 10_000)));
    expect(results.filter((hit) => hit.allowed)).toHaveLength(4);
    expect(Math.max(...results.map((hit) => hit.count))).toBe(4);
    const refused = results.find((hit) => !hit.allowed)!;
    expect(refused.resetMs).toBeGreaterThan(9_000);
    expect(refused.resetMs).toBeLessThanOrEqual(10_000);
  });

  it('frees a slot once the oldest hit leaves the sliding window', async () => {
    expect((await store.hit('slide', 1, 150)).allowed).toBe(true);
    expect((await store.hit('slide', 1, 150)).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await store.hit('slide', 1, 150)).allowed).toBe(true);
  });

  it('keeps separate windows per key', async () => {
    expect((await store.hit('a', 1, 10_000)).allowed).toBe(true);
    expect((await store.hit('b', 1, 10_000)).allowed).toBe(true);
    expect((await store.hit('a', 1, 10_000)).allowed).toBe(false);
  });

  it('patches a record field by field, so concurrent patches of different fields both survive', async () => {
    await store.patchRecord('r', { a: '1', b: '2' }, [], 60);
    await Promise.all([store.patchRecord('r', { a: '10' }, [], 60), store.patchRecord('r', { c: '3' }, ['b'], 60)]);
    expect(await store.getRecord('r')).toEqual({ a: '10', c: '3' });
  });

  it('drops a record whose fields were all removed, and one that was deleted', async () => {
    await store.patchRecord('gone', { a: '1' }, [], 60);
    await store.patchRecord('gone', {}, ['a'], 60);
    expect(await store.getRecord('gone')).toBeNull();
    await store.patchRecord('deleted', { a: '1' }, [], 60);
    await store.delete('deleted');
    expect(await store.getRecord('deleted')).toBeNull();
  });

  it('expires a record after its TTL', async () => {
    await store.patchRecord('ttl', { a: '1' }, [], 1);
    expect(await store.getRecord('ttl')).toEqual({ a: '1' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await store.getRecord('ttl')).toBeNull();
  });
}

/** The sliding window as plainly as it can be written: every hit's time, the expired ones dropped. */
function oracleWindow() {
  const hits = new Map<string, number[]>();
  return (key: string, limit: number, windowMs: number, now: number) => {
    const live = (hits.get(key) ?? []).filter((time) => time > now - windowMs);
    const allowed = live.length < limit;
    if (allowed) live.push(now);
    hits.set(key, live);
    return { allowed, count: live.length, resetMs: live.length === 0 ? 0 : live[0]! + windowMs - now };
  };
}

describe('MemoryStore', () => {
  storeContract(async () => {
    const store = new MemoryStore();
    return { store, close: async () => store.close() };
  });

  it('answers every hit exactly as the plain sliding window does (property: random clocks, keys, limits and windows)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ advance: fc.integer({ min: 0, max: 400 }), key: fc.constantFrom('a', 'b'), limit: fc.integer({ min: 1, max: 6 }) }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 1000 }),
        async (steps, windowMs) => {
          let now = 1_000_000;
          const store = new MemoryStore({ clock: () => now });
          const oracle = oracleWindow();
          try {
            for (const { advance, key, limit } of steps) {
              now += advance;
              expect(await store.hit(key, limit, windowMs)).toEqual(oracle(key, limit, windowMs, now));
            }
          } finally {
            store.close();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the window exact past its compaction: 5,000 hits in distinct milliseconds and many in one', async () => {
    let now = 0;
    const store = new MemoryStore({ clock: () => now });
    const oracle = oracleWindow();
    try {
      for (let i = 0; i < 5000; i++) {
        now += i % 7 === 0 ? 0 : 1;
        expect(await store.hit('k', 3000, 2000)).toEqual(oracle('k', 3000, 2000, now));
      }
      now += 2000;
      expect(await store.hit('k', 3000, 2000)).toEqual({ allowed: true, count: 1, resetMs: 2000 });
    } finally {
      store.close();
    }
  });
});

describeWith(redisAvailable, REDIS_MISSING)('RedisStore (real redis-server on a unix socket)', () => {
  let redis: RedisServer;
  beforeAll(async () => (redis = await startRedis()));
  afterAll(async () => redis?.dispose());

  storeContract(async () => {
    const client = await redisClient(redis.socket);
    await client.flushAll();
    return { store: new RedisStore(client), close: async () => void (await client.close()) };
  });

  it('rejects (within its command timeout) while Redis is down, and works again once it is back', async () => {
    const client = await redisClient(redis.socket);
    const store = new RedisStore(client, { commandTimeoutMs: 300 });
    try {
      await redis.stop();
      await expect(store.hit('down', 5, 1000)).rejects.toThrow();
      await redis.start();
      const deadline = Date.now() + 5000;
      let hit = null;
      while (hit === null && Date.now() < deadline) {
        await sleep(50);
        hit = await store.hit('down', 5, 1000).catch(() => null);
      }
      expect(hit?.allowed).toBe(true);
    } finally {
      await client.close().catch(() => undefined);
    }
  });

  it('tells a user who passes an ioredis client what to pass instead', () => {
    const ioredisLike = { status: 'ready', defineCommand: () => undefined, sendCommand: async () => null };
    expect(() => new RedisStore(ioredisLike)).toThrow(/node-redis client.*ioredis/);
  });
});
