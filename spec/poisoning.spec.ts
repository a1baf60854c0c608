import { Application, SessionMiddleware, type ApplicationOptions, type Request } from 'stackware';
import { recordingLogger, serve } from './helpers';

type Served = Awaited<ReturnType<typeof serve>>;

/** An application whose endpoints merge the body into `request.state`, the pattern poisoning exploits. */
function mergingApp(options: ApplicationOptions = {}): Application {
  const app = new Application({ logger: recordingLogger(), ...options });
  const report = (request: Request) => ({
    isAdmin: (request.state as { isAdmin?: unknown }).isAdmin ?? false,
    plainPrototype: Object.getPrototypeOf(request.state) === Object.prototype,
    keys: Object.keys(request.state),
  });
  app.post('/json', async (request) => {
    Object.assign(request.state, await request.json());
    return report(request);
  });
  app.post('/form', async (request) => {
    Object.assign(request.state, Object.fromEntries(await request.form()));
    return report(request);
  });
  return app;
}

async function postJson(server: Served, text: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
  return { status: res.status, body: await res.json() };
}

describe('prototype poisoning (Fastify’s onProtoPoisoning / onConstructorPoisoning)', () => {
  describe('by default (error)', () => {
    let server: Served;
    beforeAll(async () => {
      server = await serve(mergingApp());
    });
    afterAll(() => server.close());

    it('answers 400 to a JSON body with a __proto__ key', async () => {
      expect(await postJson(server, '{"name":"a","__proto__":{"isAdmin":true}}')).toEqual({
        status: 400,
        body: { detail: 'Invalid JSON body: a "__proto__" key is not allowed' },
      });
    });

    it('answers 400 to a __proto__ key nested deep, in an array, or spelled with escapes', async () => {
      for (const text of [
        '{"a":{"b":{"__proto__":{"isAdmin":true}}}}',
        '[1,{"__proto__":{"isAdmin":true}}]',
        '{"\\u005f_proto__":{"isAdmin":true}}',
        '{"__pro\\u0074o__":{"isAdmin":true}}',
      ]) {
        expect((await postJson(server, text)).status).toBe(400);
      }
    });

    it('answers 400 to a constructor key holding a prototype key', async () => {
      expect(await postJson(server, '{"constructor":{"prototype":{"isAdmin":true}}}')).toEqual({
        status: 400,
        body: { detail: 'Invalid JSON body: a "constructor" key holding a "prototype" key is not allowed' },
      });
      expect((await postJson(server, '{"x":[{"\\u0063onstructor":{"prototype":{}}}]}')).status).toBe(400);
    });

    it('accepts bodies that only mention the words: a constructor string, a constructor without prototype, "__proto__" as a value', async () => {
      expect(await postJson(server, '{"constructor":"Ada","note":"__proto__","kind":{"constructor":{"name":"x"}}}')).toEqual({
        status: 200,
        body: { isAdmin: false, plainPrototype: true, keys: ['constructor', 'note', 'kind'] },
      });
    });

    it('answers 400 to an urlencoded or multipart form with a field named __proto__', async () => {
      const urlencoded = await fetch(`${server.url}/form`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=a&__proto__=x',
      });
      expect(urlencoded.status).toBe(400);
      expect(await urlencoded.json()).toEqual({ detail: 'A form field named "__proto__" is not allowed' });
      const multipart = new FormData();
      multipart.append('name', 'a');
      multipart.append('__proto__', new Blob(['file']), 'evil.txt');
      const res = await fetch(`${server.url}/form`, { method: 'POST', body: multipart });
      expect(res.status).toBe(400);
    });
  });

  it("with 'remove', drops the keys and fields and keeps the rest", async () => {
    const server = await serve(mergingApp({ onProtoPoisoning: 'remove', onConstructorPoisoning: 'remove' }));
    try {
      expect(await postJson(server, '{"name":"a","__proto__":{"isAdmin":true},"nested":{"constructor":{"prototype":{}},"ok":1}}')).toEqual({
        status: 200,
        body: { isAdmin: false, plainPrototype: true, keys: ['name', 'nested'] },
      });
      const res = await fetch(`${server.url}/form`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=a&__proto__=x',
      });
      expect(await res.json()).toEqual({ isAdmin: false, plainPrototype: true, keys: ['name'] });
    } finally {
      await server.close();
    }
  });

  it("with 'ignore', lets the key through: Object.assign then changes the prototype (what the default prevents)", async () => {
    const server = await serve(mergingApp({ onProtoPoisoning: 'ignore' }));
    try {
      expect(await postJson(server, '{"__proto__":{"isAdmin":true}}')).toEqual({
        status: 200,
        body: { isAdmin: true, plainPrototype: false, keys: [] },
      });
    } finally {
      await server.close();
    }
  });

  it('refuses an unknown action at construction', () => {
    expect(() => new Application({ onProtoPoisoning: 'drop' as never })).toThrow(/onProtoPoisoning must be 'error', 'remove' or 'ignore'/);
  });
});

describe('SessionMiddleware never lets a stored key change the session’s prototype', () => {
  it('stores a __proto__ key merged into the session as data, also after a round trip through the cookie', async () => {
    const app = new Application({ logger: recordingLogger(), onProtoPoisoning: 'ignore' });
    app.addMiddleware(SessionMiddleware, { secretKey: 'a long enough test secret' });
    const report = (request: Request) => ({
      isAdmin: (request.session as { isAdmin?: unknown }).isAdmin ?? false,
      plainPrototype: Object.getPrototypeOf(request.session) === Object.prototype,
      stored: Object.hasOwn(request.session, '__proto__'),
    });
    app.post('/merge', async (request) => {
      Object.assign(request.session, await request.json());
      return report(request);
    });
    app.get('/me', (request) => report(request));
    app.get('/reparent', (request) => {
      try {
        Object.setPrototypeOf(request.session, { isAdmin: true });
        return 'changed';
      } catch (error) {
        return (error as Error).name;
      }
    });
    const server = await serve(app);
    try {
      const merged = await fetch(`${server.url}/merge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"user":"ada","__proto__":{"isAdmin":true}}',
      });
      expect(await merged.json()).toEqual({ isAdmin: false, plainPrototype: true, stored: true });
      const cookie = (merged.headers.get('set-cookie') ?? '').split(';')[0];
      expect(cookie).toMatch(/^session=/);
      const again = await fetch(`${server.url}/me`, { headers: { cookie } });
      expect(await again.json()).toEqual({ isAdmin: false, plainPrototype: true, stored: true });
      expect(await (await fetch(`${server.url}/reparent`)).json()).toBe('TypeError');
    } finally {
      await server.close();
    }
  });
});
