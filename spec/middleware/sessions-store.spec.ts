import { Application, MemoryStore, RedisStore, SessionMiddleware, type Store } from 'stackware';
import { describeWith, gate, recordingLogger, requestBytes, serve } from '../helpers';
import { REDIS_MISSING, redisAvailable, redisClient, startRedis, type RedisServer } from '../redis-server';

const SECRET = 'a-test-secret-that-is-long-enough-for-hmac';

function sessionApp(store: Store, hold?: Promise<void>): Application {
  const app = new Application({ logger: recordingLogger() });
  app.get('/set/{key}/{value}', async (request) => {
    const { key, value } = request.pathParams as Record<string, string>;
    void request.session;
    if (hold !== undefined && key !== 'first') await hold;
    request.session[key] = value;
    return { ok: true };
  });
  app.get('/read', (request) => ({ ...request.session }));
  app.get('/login', (request) => {
    request.regenerateSession();
    request.session.user = 'ann';
    return { ok: true };
  });
  app.get('/logout', (request) => {
    for (const key of Object.keys(request.session)) delete request.session[key];
    return { ok: true };
  });
  app.addMiddleware(SessionMiddleware, { secretKey: SECRET, store });
  return app;
}

function get(url: string, path: string, cookie?: string) {
  return requestBytes(url, { path, headers: cookie === undefined ? {} : { cookie } });
}

function cookieOf(headers: { 'set-cookie'?: string[] }): string {
  const header = headers['set-cookie']?.[0];
  if (header === undefined) throw new Error('no set-cookie');
  return header.split(';')[0]!;
}

function storedSessions(store: Store) {
  return async (cookie: string): Promise<Record<string, string> | null> => {
    const id = decodeURIComponent(cookie.split('=')[1]!).split('.')[0]!;
    return store.getRecord(`session:${id}`);
  };
}

function sessionContract(make: () => Promise<{ store: Store; close: () => Promise<void> }>): void {
  let store: Store;
  let close: () => Promise<void>;
  beforeEach(async () => ({ store, close } = await make()));
  afterEach(async () => close());

  it('puts only a signed random id in the cookie and the data in the store', async () => {
    const server = await serve(sessionApp(store));
    try {
      const first = await get(server.url, `/set/color/blue`);
      const cookie = cookieOf(first.headers);
      expect(cookie).not.toContain('blue');
      expect(await storedSessions(store)(cookie)).toEqual({ color: '"blue"' });
      const read = await get(server.url, `/read`, cookie);
      expect(JSON.parse(read.body.toString())).toEqual({ color: 'blue' });
    } finally {
      await server.close();
    }
  });

  it('regenerateSession() gives a new id, keeps the data and invalidates the old id (login fixation)', async () => {
    const server = await serve(sessionApp(store));
    try {
      const before = cookieOf((await get(server.url, `/set/cart/3`)).headers);
      const after = cookieOf((await get(server.url, `/login`, before)).headers);
      expect(after).not.toBe(before);
      expect(JSON.parse((await get(server.url, `/read`, after)).body.toString())).toEqual({ cart: '3', user: 'ann' });
      expect(JSON.parse((await get(server.url, `/read`, before)).body.toString())).toEqual({});
    } finally {
      await server.close();
    }
  });

  it('clearing the session deletes it from the store and clears the cookie', async () => {
    const server = await serve(sessionApp(store));
    try {
      const cookie = cookieOf((await get(server.url, `/set/a/1`)).headers);
      const out = await get(server.url, `/logout`, cookie);
      expect(out.headers['set-cookie']?.[0]).toMatch(/expires=Thu, 01 Jan 1970/);
      expect(await storedSessions(store)(cookie)).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('two concurrent requests changing different keys of one session both keep their change', async () => {
    const release = gate();
    const server = await serve(sessionApp(store, release.promise));
    try {
      const cookie = cookieOf((await get(server.url, `/set/first/0`)).headers);
      const slow = get(server.url, `/set/a/slow`, cookie);
      const other = get(server.url, `/set/b/other`, cookie);
      await new Promise((resolve) => setTimeout(resolve, 50));
      release.open();
      await Promise.all([slow, other]);
      expect(JSON.parse((await get(server.url, `/read`, cookie)).body.toString())).toEqual({ first: '0', a: 'slow', b: 'other' });
    } finally {
      await server.close();
    }
  });

  it('two concurrent requests changing the same key: the one that finished last wins, even though it read first (docs/scaling.md)', async () => {
    const release = gate();
    const app = new Application({ logger: recordingLogger() });
    const order: string[] = [];
    app.get('/put/{value}', async (request) => {
      const { value } = request.pathParams as Record<string, string>;
      const before = String(request.session.k);
      if (value === 'slow') await release.promise;
      request.session.k = value;
      request.session[`seen_by_${value}`] = before;
      order.push(value);
      return { ok: true };
    });
    app.get('/read', (request) => ({ ...request.session }));
    app.addMiddleware(SessionMiddleware, { secretKey: SECRET, store });
    const server = await serve(app);
    try {
      const cookie = cookieOf((await get(server.url, '/put/start')).headers);
      const slow = get(server.url, '/put/slow', cookie);
      // The slow request has read the session (k = start) before the fast one changes it.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await get(server.url, '/put/fast', cookie)).status).toBe(200);
      expect(JSON.parse((await get(server.url, '/read', cookie)).body.toString())).toMatchObject({ k: 'fast' });
      release.open();
      expect((await slow).status).toBe(200);
      expect(order).toEqual(['start', 'fast', 'slow']);
      // Last writer wins for k; each request's other key survives, since only changed keys are written.
      expect(JSON.parse((await get(server.url, '/read', cookie)).body.toString())).toEqual({
        k: 'slow',
        seen_by_start: 'undefined',
        seen_by_fast: 'start',
        seen_by_slow: 'start',
      });
    } finally {
      await server.close();
    }
  });
}

describe('SessionMiddleware with a store (MemoryStore)', () => {
  sessionContract(async () => {
    const store = new MemoryStore();
    return { store, close: async () => store.close() };
  });

  it('answers 503 (and loses nothing silently) when the store cannot be read', async () => {
    const failing: Store = {
      hit: () => Promise.reject(new Error('down')),
      getRecord: () => Promise.reject(new Error('down')),
      patchRecord: () => Promise.reject(new Error('down')),
      delete: () => Promise.reject(new Error('down')),
    };
    const server = await serve(sessionApp(failing));
    try {
      expect((await get(server.url, `/set/a/1`)).status).toBe(503);
    } finally {
      await server.close();
    }
  });
});

describeWith(redisAvailable, REDIS_MISSING)('SessionMiddleware with RedisStore (real redis-server)', () => {
  let redis: RedisServer;
  beforeAll(async () => (redis = await startRedis()));
  afterAll(async () => redis?.dispose());
  sessionContract(async () => {
    const client = await redisClient(redis.socket);
    return { store: new RedisStore(client), close: async () => void (await client.close()) };
  });

  it('Redis stopped: answers 503 without crashing; restarted: sessions are written and read again', async () => {
    const client = await redisClient(redis.socket);
    const server = await serve(sessionApp(new RedisStore(client, { commandTimeoutMs: 300 })));
    try {
      await redis.stop();
      expect((await get(server.url, '/set/a/1')).status).toBe(503);
      await redis.start();
      let written = await get(server.url, '/set/a/1');
      for (let attempt = 0; attempt < 50 && written.status !== 200; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        written = await get(server.url, '/set/a/1');
      }
      expect(written.status).toBe(200);
      const read = await get(server.url, '/read', cookieOf(written.headers));
      expect(JSON.parse(read.body.toString())).toEqual({ a: '1' });
    } finally {
      await server.close();
      await client.close().catch(() => undefined);
    }
  });
});
