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

describe('MemoryStore', () => {
  storeContract(async () => {
    const store = new MemoryStore();
    return { store, close: async () => store.close() };
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
