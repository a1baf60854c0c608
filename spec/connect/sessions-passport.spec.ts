// express-session (memory store, and connect-redis against a real Redis) and passport-local, as
// Connect layers in front of stackware routes.
import bodyParser from 'body-parser';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { Application, HTTPException, connectMiddleware, connectRequest, type Request } from 'stackware';
import { describeWith } from '../helpers';
import { REDIS_MISSING, redisAvailable, redisClient, startRedis, type RedisServer } from '../redis-server';
import { servedPerTest } from './helpers';

const start = servedPerTest();

interface Visits {
  session: session.Session & { views?: number };
}

function sessionApp(store?: session.Store): Application {
  const app = new Application();
  app.addMiddleware(connectMiddleware(session({ secret: 'a-test-secret', resave: false, saveUninitialized: false, store })));
  app.get('/count', (request) => {
    const req = connectRequest<Visits>(request);
    const s = req.session as Visits['session'];
    s.views = (s.views ?? 0) + 1;
    return { views: s.views, id: s.id };
  });
  return app;
}

async function countTwice(app: Application): Promise<{ first: { views: number; id: string }; second: { views: number; id: string } }> {
  const server = await start(app);
  const one = await server.fetch('/count');
  const cookie = one.headers.getSetCookie()[0]?.split(';')[0];
  expect(cookie).toMatch(/^connect\.sid=/);
  const first = (await one.json()) as { views: number; id: string };
  const second = (await (await server.fetch('/count', { headers: { cookie } })).json()) as { views: number; id: string };
  return { first, second };
}

describe('express-session', () => {
  it('keeps a session across requests with its memory store; the stackware route reads and writes req.session', async () => {
    const { first, second } = await countTwice(sessionApp());
    expect(first.views).toBe(1);
    expect(second).toEqual({ views: 2, id: first.id });
  });
});

describeWith(redisAvailable, REDIS_MISSING)('express-session with connect-redis', () => {
  let redis: RedisServer;
  let client: Awaited<ReturnType<typeof redisClient>>;
  beforeAll(async () => {
    redis = await startRedis();
    client = await redisClient(redis.socket);
  });
  afterAll(async () => {
    await client?.quit();
    await redis?.dispose();
  });

  it('keeps the session in the real Redis server', async () => {
    const { first, second } = await countTwice(sessionApp(new ConnectRedisStore({ client, prefix: 'sess:' })));
    expect(second).toEqual({ views: 2, id: first.id });
    expect(JSON.parse((await client.get(`sess:${first.id}`)) as string)).toMatchObject({ views: 2 });
  });
});

interface User {
  id: number;
  name: string;
}
const users: User[] = [{ id: 1, name: 'ann' }];

function loginApp(): Application {
  const auth = new passport.Passport();
  auth.use(
    new LocalStrategy((username, password, done) => {
      const user = users.find((u) => u.name === username);
      done(null, user !== undefined && password === 'secret' ? user : false);
    }),
  );
  auth.serializeUser((user, done) => done(null, (user as User).id));
  auth.deserializeUser((id: number, done) => done(null, users.find((u) => u.id === id) ?? false));
  const app = new Application();
  app.post('/login', () => ({ ok: true }), {
    middleware: [connectMiddleware(bodyParser.urlencoded({ extended: false })), connectMiddleware(auth.authenticate('local'))],
  });
  const currentUser = (request: Request): User => {
    const user = connectRequest<{ user: User }>(request).user;
    if (user === undefined) throw new HTTPException(401, 'Log in first');
    return user;
  };
  app.get('/me', (request) => ({ name: currentUser(request).name }));
  // Outermost last: the session, then passport reading the user from it.
  app.addMiddleware(connectMiddleware(auth.session()));
  app.addMiddleware(connectMiddleware(auth.initialize()));
  app.addMiddleware(connectMiddleware(session({ secret: 'a-test-secret', resave: false, saveUninitialized: false })));
  return app;
}

describe('passport with passport-local', () => {
  it('logs in with a form POST, then a protected stackware route sees req.user', async () => {
    const server = await start(loginApp());
    expect((await server.fetch('/me')).status).toBe(401);
    const login = await server.fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=ann&password=secret',
    });
    expect(login.status).toBe(200);
    expect(await login.json()).toEqual({ ok: true });
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0];
    expect(cookie).toMatch(/^connect\.sid=/);
    const me = await server.fetch('/me', { headers: { cookie } });
    expect(await me.json()).toEqual({ name: 'ann' });
  });

  it('answers a wrong password with passport’s own 401, and the route never runs', async () => {
    const server = await start(loginApp());
    const login = await server.fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=ann&password=wrong',
    });
    expect(login.status).toBe(401);
    expect(await login.text()).toBe('Unauthorized');
    expect(login.headers.getSetCookie()).toEqual([]);
  });
});
