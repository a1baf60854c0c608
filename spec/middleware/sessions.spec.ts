import request from 'supertest';
import { Application } from '../../lib/application';
import { Middleware } from '../../lib/middleware/base';
import { TimestampSigner, pythonJSONDumps } from '../../lib/itsdangerous';
import { SessionMiddleware, type SessionOptions } from '../../lib/middleware/sessions';
import type { Request } from '../../lib/requests';
import { JSONResponse } from '../../lib/responses';
import { Mount } from '../../lib/routing';

const SECRET = 'example';
/** The moment of the itsdangerous test vector: `awJDjA` is 1795310476 as big-endian bytes. */
const VECTOR_TIME = 1795310476 * 1000;

// The endpoints of Starlette's test_session.py.
const viewSession = (req: Request) => new JSONResponse({ session: req.session });
const updateSession = async (req: Request) => {
  Object.assign(req.session, await req.json<Record<string, unknown>>());
  return new JSONResponse({ session: req.session });
};
const clearSession = (req: Request) => {
  const session = req.session;
  for (const key of Object.keys(session)) delete session[key];
  return new JSONResponse({ session });
};
const noSessionAccess = () => new JSONResponse({ status: 'ok' });

function sessionApp(options: SessionOptions): Application {
  const app = new Application({ middleware: [new Middleware(SessionMiddleware, options)] });
  app.get('/view_session', viewSession);
  app.post('/update_session', updateSession);
  app.post('/clear_session', clearSession);
  app.get('/no_session', noSessionAccess);
  return app;
}

/** A session cookie value as Starlette would write it for `data`, signed at `time` (ms). */
function starletteCookie(data: Record<string, unknown>, time = Date.now(), secret = SECRET): string {
  return new TimestampSigner(secret, () => time).sign(Buffer.from(pythonJSONDumps(data)).toString('base64'));
}

function setCookies(res: request.Response): string[] {
  const header = res.headers['set-cookie'] as string[] | string | undefined;
  return header === undefined ? [] : Array.isArray(header) ? header : [header];
}

function setCookie(res: request.Response): string {
  const cookies = setCookies(res);
  expect(cookies).toHaveLength(1);
  return cookies[0];
}

function cookieValue(res: request.Response, name = 'session'): string {
  const match = new RegExp(`${name}=([^;]*);`).exec(setCookie(res));
  if (match === null) throw new Error(`no ${name} cookie in ${setCookie(res)}`);
  return match[1];
}

/**
 * A minimal stand-in for the test client's cookie jar over HTTPS (superagent's agent talks plain
 * HTTP, so it never sends a `secure` cookie back): keeps cookies by name, drops expired ones.
 */
class HttpsJar {
  private readonly cookies = new Map<string, string>();

  store(res: request.Response): void {
    for (const header of setCookies(res)) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((attribute) => {
        const [key, value = ''] = attribute.trim().split('=');
        if (key.toLowerCase() === 'max-age') return Number(value) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(value) <= Date.now();
        return false;
      });
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

describe('SessionMiddleware', () => {
  describe("Starlette's test_session.py", () => {
    it('round-trips a session through the cookie, and clears it (starlette: test_session)', async () => {
      const client = request.agent(sessionApp({ secretKey: SECRET }).callback());

      await client.get('/view_session').expect(200, { session: {} });

      const updated = await client.post('/update_session').send({ some: 'data' }).expect(200, { session: { some: 'data' } });
      const maxAge = /; Max-Age=([0-9]+);/.exec(setCookie(updated));
      expect(Number(maxAge?.[1])).toBe(14 * 24 * 3600);

      await client.get('/view_session').expect(200, { session: { some: 'data' } });

      const cleared = await client.post('/clear_session').expect(200, { session: {} });
      expect(setCookie(cleared)).toBe('session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax');

      await client.get('/view_session').expect(200, { session: {} });
    });

    it('gives an empty session for an expired cookie (starlette: test_session_expires)', async () => {
      const app = sessionApp({ secretKey: SECRET, maxAge: -1 });
      const updated = await request(app.callback()).post('/update_session').send({ some: 'data' }).expect(200, { session: { some: 'data' } });
      expect(setCookie(updated)).toContain('; Max-Age=-1; ');
      const expired = cookieValue(updated);

      await request(app.callback()).get('/view_session').set('cookie', `session=${expired}`).expect(200, { session: {} });
    });

    it('sets a secure cookie that only an HTTPS client sends back (starlette: test_secure_session)', async () => {
      const app = sessionApp({ secretKey: SECRET, httpsOnly: true });
      const unsecure = request.agent(app.callback()); // plain HTTP: its jar never sends a secure cookie

      await unsecure.get('/view_session').expect(200, { session: {} });
      const first = await unsecure.post('/update_session').send({ some: 'data' }).expect(200, { session: { some: 'data' } });
      expect(setCookie(first)).toMatch(/; httponly; samesite=lax; secure$/);
      await unsecure.get('/view_session').expect(200, { session: {} });

      const jar = new HttpsJar();
      const secure = (res: request.Response) => {
        jar.store(res);
        return res;
      };
      secure(await request(app.callback()).get('/view_session').set('cookie', jar.header()).expect(200, { session: {} }));
      secure(
        await request(app.callback())
          .post('/update_session')
          .set('cookie', jar.header())
          .send({ some: 'data' })
          .expect(200, { session: { some: 'data' } }),
      );
      secure(await request(app.callback()).get('/view_session').set('cookie', jar.header()).expect(200, { session: { some: 'data' } }));
      const cleared = secure(await request(app.callback()).post('/clear_session').set('cookie', jar.header()).expect(200, { session: {} }));
      expect(setCookie(cleared)).toBe('session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax; secure');
      secure(await request(app.callback()).get('/view_session').set('cookie', jar.header()).expect(200, { session: {} }));
      expect(jar.header()).toBe('');
    });

    it('sets the cookie path of a mounted app (starlette: test_session_cookie_subpath)', async () => {
      const secondApp = new Application({ middleware: [new Middleware(SessionMiddleware, { secretKey: SECRET, path: '/second_app' })] });
      secondApp.post('/update_session', updateSession);
      const app = new Application({ routes: [new Mount('/second_app', secondApp)] });

      const res = await request(app.callback()).post('/second_app/update_session').send({ some: 'data' }).expect(200);
      expect(/; path=(\S+);/.exec(setCookie(res))?.[1]).toBe('/second_app');
    });

    it('gives an empty session for an invalid cookie, without an error (starlette: test_invalid_session_cookie)', async () => {
      const app = sessionApp({ secretKey: SECRET });
      await request(app.callback()).post('/update_session').send({ some: 'data' }).expect(200, { session: { some: 'data' } });

      await request(app.callback()).get('/view_session').set('cookie', 'session=invalid').expect(200, { session: {} });
    });

    it('sets a browser-session cookie, without Max-Age, when maxAge is null (starlette: test_session_cookie)', async () => {
      const app = sessionApp({ secretKey: SECRET, maxAge: null });
      const client = request.agent(app.callback());
      const res = await client.post('/update_session').send({ some: 'data' }).expect(200, { session: { some: 'data' } });
      expect(setCookie(res)).not.toContain('Max-Age');
      expect(setCookie(res)).toMatch(/^session=[^;]+; path=\/; httponly; samesite=lax$/);

      // client.cookies.delete("session"): a fresh client has no cookie.
      await request(app.callback()).get('/view_session').expect(200, { session: {} });
    });

    it('sets the cookie domain (starlette: test_domain_cookie)', async () => {
      const app = sessionApp({ secretKey: SECRET, domain: '.example.com' });
      const res = await request(app.callback()).post('/update_session').send({ some: 'data' }).expect(200, { session: { some: 'data' } });
      expect(setCookie(res)).toContain('domain=.example.com');

      await request(app.callback()).get('/view_session').expect(200, { session: {} });
    });

    it('sets the cookie only when the session was modified (starlette: test_set_cookie_only_on_modification)', async () => {
      const client = request.agent(sessionApp({ secretKey: SECRET }).callback());
      const updated = await client.post('/update_session').send({ some: 'data' });
      expect(setCookies(updated)).toHaveLength(1);

      const viewed = await client.get('/view_session').expect(200, { session: { some: 'data' } });
      expect(viewed.headers['set-cookie']).toBeUndefined();
    });

    it('adds Vary: Cookie when the session was accessed, only then (starlette: test_vary_cookie_on_access)', async () => {
      const client = request.agent(sessionApp({ secretKey: SECRET }).callback());
      const updated = await client.post('/update_session').send({ some: 'data' });
      expect(String(updated.headers.vary ?? '').toLowerCase()).toContain('cookie');

      const viewed = await client.get('/view_session');
      expect(String(viewed.headers.vary ?? '').toLowerCase()).toContain('cookie');

      const untouched = await client.get('/no_session').expect(200, { status: 'ok' });
      expect(String(untouched.headers.vary ?? '').toLowerCase()).not.toContain('cookie');
      expect(untouched.headers.vary).toBeUndefined();
    });

    describe('tracks modifications (starlette: test_session_tracks_modification)', () => {
      // Starlette checks `Session.modified`; here a modified session is one whose cookie is re-sent.
      async function afterEndpoint(initial: Record<string, unknown>, endpoint: (session: Record<string, unknown>) => void) {
        const app = new Application({ middleware: [new Middleware(SessionMiddleware, { secretKey: SECRET })] });
        app.get('/', (req) => {
          endpoint(req.session);
          return new JSONResponse({ session: req.session });
        });
        return request(app.callback()).get('/').set('cookie', `session=${starletteCookie(initial)}`).expect(200);
      }

      it('is not modified when only read', async () => {
        const res = await afterEndpoint({ a: '1', b: '2' }, (session) => void session.a);
        expect(res.headers['set-cookie']).toBeUndefined();
        expect(res.body).toEqual({ session: { a: '1', b: '2' } });
      });

      it('is modified by setting a key (__setitem__)', async () => {
        const res = await afterEndpoint({ a: '1', b: '2' }, (session) => {
          session.c = '3';
        });
        expect(setCookie(res)).toMatch(/^session=/);
        expect(res.body).toEqual({ session: { a: '1', b: '2', c: '3' } });
      });

      it('is modified by deleting a key (__delitem__, pop with an existing key)', async () => {
        const res = await afterEndpoint({ a: '1' }, (session) => {
          delete session.a;
        });
        expect(setCookie(res)).toMatch(/^session=null; path=\/; expires=Thu, 01 Jan 1970 00:00:00 GMT;/);
      });

      it('is modified by deleting every key (clear)', async () => {
        const res = await afterEndpoint({ a: '1', b: '2' }, (session) => {
          for (const key of Object.keys(session)) delete session[key];
        });
        expect(setCookie(res)).toMatch(/^session=null;/);
      });

      it('is not modified by deleting a missing key (pop("missing", None))', async () => {
        const res = await afterEndpoint({ a: '1' }, (session) => {
          delete session.missing;
        });
        expect(res.headers['set-cookie']).toBeUndefined();
      });

      it('is modified by setting a missing key with ??= (setdefault with a missing key)', async () => {
        const res = await afterEndpoint({ a: '1' }, (session) => {
          session.b ??= '2';
        });
        expect(setCookie(res)).toMatch(/^session=/);
        expect(res.body).toEqual({ session: { a: '1', b: '2' } });
      });

      it('is not modified by ??= on an existing key (setdefault with an existing key)', async () => {
        const res = await afterEndpoint({ a: '1' }, (session) => {
          session.a ??= '2';
        });
        expect(res.headers['set-cookie']).toBeUndefined();
        expect(res.body).toEqual({ session: { a: '1' } });
      });
    });
  });

  describe('cookie format, compatible with Starlette and itsdangerous', () => {
    it('signs {"a": 1} with secret "example" exactly as itsdangerous does (test vector)', async () => {
      const app = sessionApp({ secretKey: SECRET, clock: () => VECTOR_TIME });
      const res = await request(app.callback()).post('/update_session').send({ a: 1 }).expect(200);
      expect(setCookie(res)).toBe('session=eyJhIjogMX0=.awJDjA.R3AehPwF3JliIdbrp4ozTWxk8_g; path=/; Max-Age=1209600; httponly; samesite=lax');

      await request(app.callback())
        .get('/view_session')
        .set('cookie', 'session=eyJhIjogMX0=.awJDjA.R3AehPwF3JliIdbrp4ozTWxk8_g')
        .expect(200, { session: { a: 1 } });
    });

    it('reads a cookie written by Starlette', async () => {
      // Signed by itsdangerous 2.2.0 (secret "example") at 1795315255 (`awJWNw`).
      const cookie = 'eyJzb21lIjogImRhdGEifQ==.awJWNw.i0AWWK3iyD0B65TfU9DvMJ3tixM';
      const app = sessionApp({ secretKey: SECRET, clock: () => (1795315255 + 60) * 1000 });
      await request(app.callback()).get('/view_session').set('cookie', `session=${cookie}`).expect(200, { session: { some: 'data' } });
      expect(new TimestampSigner(SECRET, () => 1795315255 * 1000).sign('eyJzb21lIjogImRhdGEifQ==')).toBe(cookie);
    });

    it("serializes the session as Python's json.dumps does: separators and ensure_ascii escapes", async () => {
      const data = { name: 'Zoë 😀', items: [1, 2.5, null, true], nested: { q: '"x"' } };
      const python = '{"name": "Zo\\u00eb \\ud83d\\ude00", "items": [1, 2.5, null, true], "nested": {"q": "\\"x\\""}}';
      expect(pythonJSONDumps(data)).toBe(python);

      const app = sessionApp({ secretKey: SECRET });
      const res = await request(app.callback()).post('/update_session').send(data).expect(200);
      const payload = cookieValue(res).split('.')[0];
      expect(payload).toBe('eyJuYW1lIjogIlpvXHUwMGViIFx1ZDgzZFx1ZGUwMCIsICJpdGVtcyI6IFsxLCAyLjUsIG51bGwsIHRydWVdLCAibmVzdGVkIjogeyJxIjogIlwieFwiIn19');
      expect(Buffer.from(payload, 'base64').toString()).toBe(python);

      await request(app.callback()).get('/view_session').set('cookie', `session=${cookieValue(res)}`).expect(200, { session: data });
    });

    it("formats numbers as Python does (ints, and floats by repr) and follows JSON.stringify's rules otherwise", () => {
      expect(pythonJSONDumps([1, -0, 2.5, 1e-5, 1.5e-7, 0.1 + 0.2, 1e16, 1.5e300, 9007199254740993, 123456789.123])).toBe(
        '[1, 0, 2.5, 1e-05, 1.5e-07, 0.30000000000000004, 1e+16, 1.5e+300, 9007199254740992.0, 123456789.123]',
      );
      expect(pythonJSONDumps({ a: undefined, b: () => 1, c: [undefined, NaN, Infinity], d: new Date(0), e: {}, f: [] })).toBe(
        '{"c": [null, null, null], "d": "1970-01-01T00:00:00.000Z", "e": {}, "f": []}',
      );
      expect(pythonJSONDumps('\u007f\b\f\n\r\t\u0001/')).toBe('"\\u007f\\b\\f\\n\\r\\t\\u0001/"');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(() => pythonJSONDumps(cyclic)).toThrow(TypeError);
      expect(() => pythonJSONDumps({ n: 1n })).toThrow(TypeError);
    });
  });

  describe('invalid cookies give an empty session, never an error', () => {
    const valid = () => starletteCookie({ some: 'data' });
    const cases: Array<[string, () => string]> = [
      ['a tampered signature', () => valid().replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))],
      ['a tampered payload', () => `${Buffer.from('{"some": "other"}').toString('base64')}${valid().slice(valid().indexOf('.'))}`],
      ['a tampered timestamp', () => valid().replace(/\.([^.]+)\./, '.AAAAAA.')],
      ['a signature made with another secret', () => starletteCookie({ some: 'data' }, Date.now(), 'other')],
      ['no separator', () => 'eyJzb21lIjogImRhdGEifQ=='],
      ['only one separator', () => `eyJzb21lIjogImRhdGEifQ==.${valid().split('.')[2]}`],
      ['a signature that is not base64url', () => `${valid().slice(0, -2)}+/`],
      ['a timestamp longer than 8 bytes', () => new TimestampSigner(SECRET).sign('eyJ9').replace(/\.[^.]+\./, '.AAAAAAAAAAAAAA.')],
      ['a signed payload that is not base64 JSON', () => new TimestampSigner(SECRET).sign('bm90IGpzb24=')],
      ['a signed JSON payload that is not an object', () => new TimestampSigner(SECRET).sign(Buffer.from('[1, 2]').toString('base64'))],
      ['a signature from the future', () => starletteCookie({ some: 'data' }, Date.now() + 60_000)],
      ['an empty value', () => ''],
    ];

    it.each(cases)('%s', async (_, cookie) => {
      const res = await request(sessionApp({ secretKey: SECRET }).callback())
        .get('/view_session')
        .set('cookie', `session=${cookie()}`)
        .expect(200, { session: {} });
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('accepts the untampered cookie the cases above are made from', async () => {
      await request(sessionApp({ secretKey: SECRET }).callback())
        .get('/view_session')
        .set('cookie', `session=${valid()}`)
        .expect(200, { session: { some: 'data' } });
    });

    it('expires a cookie older than maxAge, by the injected clock', async () => {
      const signedAt = VECTOR_TIME;
      const cookie = `session=${starletteCookie({ some: 'data' }, signedAt)}`;
      const at = (seconds: number) => sessionApp({ secretKey: SECRET, maxAge: 60, clock: () => signedAt + seconds * 1000 });
      await request(at(60).callback()).get('/view_session').set('cookie', cookie).expect(200, { session: { some: 'data' } });
      await request(at(61).callback()).get('/view_session').set('cookie', cookie).expect(200, { session: {} });
    });

    it('verifies the cookie only when something reads the session, once per request', async () => {
      const unsign = jest.spyOn(TimestampSigner.prototype, 'unsign');
      try {
        const app = sessionApp({ secretKey: SECRET });
        app.get('/read_twice', (req: Request) => new JSONResponse({ first: req.session.some, again: req.session.some }));
        const cookie = `session=${starletteCookie({ some: 'data' })}`;
        await request(app.callback()).get('/no_session').set('cookie', cookie).expect(200, { status: 'ok' });
        expect(unsign).not.toHaveBeenCalled();
        await request(app.callback()).get('/read_twice').set('cookie', cookie).expect(200, { first: 'data', again: 'data' });
        expect(unsign).toHaveBeenCalledTimes(1);
      } finally {
        unsign.mockRestore();
      }
    });

    it('never checks the age when maxAge is null', async () => {
      const cookie = `session=${starletteCookie({ some: 'data' }, 0)}`;
      await request(sessionApp({ secretKey: SECRET, maxAge: null }).callback())
        .get('/view_session')
        .set('cookie', cookie)
        .expect(200, { session: { some: 'data' } });
    });

    it('does not clear the cookie when an invalid one came with the request and the session stays empty', async () => {
      const res = await request(sessionApp({ secretKey: SECRET }).callback()).post('/clear_session').set('cookie', 'session=invalid').expect(200);
      expect(res.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('options', () => {
    it('names the cookie after sessionCookie', async () => {
      const app = sessionApp({ secretKey: SECRET, sessionCookie: 'sid' });
      const res = await request(app.callback()).post('/update_session').send({ some: 'data' }).expect(200);
      expect(setCookie(res)).toMatch(/^sid=[^;]+; path=\/; Max-Age=1209600; httponly; samesite=lax$/);

      await request(app.callback())
        .get('/view_session')
        .set('cookie', `session=${cookieValue(res, 'sid')}; sid=${cookieValue(res, 'sid')}`)
        .expect(200, { session: { some: 'data' } });
      await request(app.callback()).get('/view_session').set('cookie', `session=${cookieValue(res, 'sid')}`).expect(200, { session: {} });
    });

    it('writes maxAge as Max-Age', async () => {
      const res = await request(sessionApp({ secretKey: SECRET, maxAge: 60 }).callback()).post('/update_session').send({ a: 1 });
      expect(setCookie(res)).toMatch(/; path=\/; Max-Age=60; httponly;/);
    });

    it('writes sameSite, httpsOnly and domain in Starlette order', async () => {
      const app = sessionApp({ secretKey: SECRET, path: '/app', sameSite: 'strict', httpsOnly: true, domain: 'example.com', clock: () => VECTOR_TIME });
      const res = await request(app.callback()).post('/update_session').send({ a: 1 });
      expect(setCookie(res)).toBe(
        'session=eyJhIjogMX0=.awJDjA.R3AehPwF3JliIdbrp4ozTWxk8_g; path=/app; Max-Age=1209600; httponly; samesite=strict; secure; domain=example.com',
      );
      const cleared = await request(app.callback())
        .post('/clear_session')
        .set('cookie', 'session=eyJhIjogMX0=.awJDjA.R3AehPwF3JliIdbrp4ozTWxk8_g');
      expect(setCookie(cleared)).toBe('session=null; path=/app; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=strict; secure; domain=example.com');
    });

    it('writes sameSite none', async () => {
      const res = await request(sessionApp({ secretKey: SECRET, sameSite: 'none', httpsOnly: true }).callback()).post('/update_session').send({ a: 1 });
      expect(setCookie(res)).toMatch(/; httponly; samesite=none; secure$/);
    });

    it('refuses missing or unsafe options at construction', () => {
      const app = new Application();
      expect(() => new SessionMiddleware(app, { secretKey: '' })).toThrow('SessionMiddleware requires a non-empty secretKey');
      expect(() => new SessionMiddleware(app, undefined as unknown as SessionOptions)).toThrow('SessionMiddleware requires a non-empty secretKey');
      expect(() => new SessionMiddleware(app, { secretKey: SECRET, sessionCookie: 'a b' })).toThrow(TypeError);
      expect(() => new SessionMiddleware(app, { secretKey: SECRET, path: '/; domain=evil' })).toThrow(TypeError);
      expect(() => new SessionMiddleware(app, { secretKey: SECRET, domain: 'a;b' })).toThrow(TypeError);
      expect(() => new SessionMiddleware(app, { secretKey: SECRET, sameSite: 'bogus' as 'lax' })).toThrow(TypeError);
      expect(() => new SessionMiddleware(app, { secretKey: SECRET, maxAge: 1.5 })).toThrow(TypeError);
    });
  });

  describe('behaviour', () => {
    it('throws a clear error when request.session is read without the middleware', async () => {
      const app = new Application();
      app.get('/', (req) => {
        try {
          return { session: req.session };
        } catch (error) {
          return { error: (error as Error).message };
        }
      });
      await request(app.callback()).get('/').expect(200, { error: 'SessionMiddleware must be installed to access request.session' });
    });

    it('notices changes made inside nested values', async () => {
      const app = new Application({ middleware: [new Middleware(SessionMiddleware, { secretKey: SECRET })] });
      app.get('/', (req) => {
        (req.session.cart as string[]).push('pear');
        return { session: req.session };
      });
      const res = await request(app.callback())
        .get('/')
        .set('cookie', `session=${starletteCookie({ cart: ['apple'] })}`)
        .expect(200, { session: { cart: ['apple', 'pear'] } });
      const payload = cookieValue(res).split('.')[0];
      expect(Buffer.from(payload, 'base64').toString()).toBe('{"cart": ["apple", "pear"]}');
    });

    it('notices a nested value added to a session of plain values and changed after', async () => {
      const app = new Application({ middleware: [new Middleware(SessionMiddleware, { secretKey: SECRET })] });
      app.get('/', (req) => {
        req.session.cart = [];
        (req.session.cart as string[]).push('pear');
        return 'ok';
      });
      const res = await request(app.callback()).get('/').set('cookie', `session=${starletteCookie({ user: 'alice' })}`).expect(200);
      const payload = cookieValue(res).split('.')[0];
      expect(Buffer.from(payload, 'base64').toString()).toBe('{"user": "alice", "cart": ["pear"]}');
    });

    it('sends no cookie for a session of plain values that was only read', async () => {
      const app = new Application({ middleware: [new Middleware(SessionMiddleware, { secretKey: SECRET })] });
      app.get('/', (req) => ({ user: req.session.user ?? null }));
      const res = await request(app.callback()).get('/').set('cookie', `session=${starletteCookie({ user: 'alice', n: 3 })}`).expect(200, { user: 'alice' });
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers.vary).toBe('Cookie');
    });

    it('re-sends the cookie when a key is set to the value it had, as Starlette does', async () => {
      const app = new Application({ middleware: [new Middleware(SessionMiddleware, { secretKey: SECRET })] });
      app.get('/', (req) => {
        req.session.a = 1;
        return 'ok';
      });
      const res = await request(app.callback()).get('/').set('cookie', `session=${starletteCookie({ a: 1 })}`).expect(200);
      expect(setCookie(res)).toMatch(/^session=eyJhIjogMX0=\./);
    });

    it('sets no cookie when an empty session was modified but stayed empty', async () => {
      const res = await request(sessionApp({ secretKey: SECRET }).callback()).post('/update_session').send({}).expect(200, { session: {} });
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers.vary).toBe('Cookie');
    });

    it('appends Cookie to an existing Vary and its cookie to existing Set-Cookie headers', async () => {
      const app = new Application({ middleware: [new Middleware(SessionMiddleware, { secretKey: SECRET })] });
      app.get('/', (req) => {
        req.session.user = 'ann';
        const response = new JSONResponse({ ok: true }, { headers: { vary: 'Accept-Encoding' } });
        response.setCookie('theme', 'dark');
        return response;
      });
      const res = await request(app.callback()).get('/').expect(200);
      expect(res.headers.vary).toBe('Accept-Encoding, Cookie');
      const cookies = setCookies(res);
      expect(cookies).toHaveLength(2);
      expect(cookies[0]).toMatch(/^theme=dark;/);
      expect(cookies[1]).toMatch(/^session=/);
    });

    it('keeps each request its own session', async () => {
      const app = sessionApp({ secretKey: SECRET });
      const [a, b] = await Promise.all([
        request(app.callback()).post('/update_session').send({ who: 'a' }),
        request(app.callback()).post('/update_session').send({ who: 'b' }),
      ]);
      expect(a.body).toEqual({ session: { who: 'a' } });
      expect(b.body).toEqual({ session: { who: 'b' } });
    });
  });
});

describe('SessionMiddleware secret key strength', () => {
  const warningsWhile = (build: () => void): string[] => {
    const seen: string[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((warning: string | Error, options?: { code?: string }) => {
      if (options?.code === 'STACKWARE_WEAK_SECRET_KEY') seen.push(String(warning));
    }) as typeof process.emitWarning;
    try {
      build();
    } finally {
      process.emitWarning = original;
    }
    return seen;
  };
  const start = (secretKey: string): void => {
    const app = new Application({ middleware: [new Middleware(SessionMiddleware, { secretKey })] });
    app.callback();
  };

  it('warns at startup when the secretKey is shorter than 32 bytes, saying how long it is', () => {
    const warnings = warningsWhile(() => start('short-secret'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/secretKey is 12 bytes long: use at least 32 random bytes/);
  });

  it('counts bytes, not characters, and says nothing for 32 bytes or more', () => {
    expect(warningsWhile(() => start('é'.repeat(15)))).toHaveLength(1); // 30 bytes
    expect(warningsWhile(() => start('é'.repeat(16)))).toEqual([]); // 32 bytes
    expect(warningsWhile(() => start('x'.repeat(32)))).toEqual([]);
  });
});
