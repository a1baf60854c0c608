// Hono with its built-in middleware (hono/cors, hono/compress, hono/request-id, hono/timing,
// hono/timeout, signed cookies from hono/cookie for the session) or, where it has none, the few
// lines a Hono user writes; for bench/stack-bench.ts, `--case=` as in stack-common.mjs.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { getSignedCookie, setSignedCookie } from 'hono/cookie';
import { compress } from 'hono/compress';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { timeout } from 'hono/timeout';
import { timing } from 'hono/timing';
import { announce } from './harness.mjs';
import { benchCase, ITEMS, ORIGIN, SECRET } from './stack-common.mjs';

const { uses } = benchCase();
const app = new Hono();

if (uses.has('httpsredirect')) {
  app.use(async (c, next) => {
    const url = new URL(c.req.url);
    if (url.protocol === 'https:') return next();
    return c.redirect(`https://${url.host}${url.pathname}${url.search}`, 307);
  });
}
if (uses.has('trustedhost')) {
  const allowed = new Set(['127.0.0.1', 'localhost']);
  app.use(async (c, next) => {
    if (allowed.has(new URL(c.req.url).hostname)) return next();
    return c.text('Invalid host header', 400);
  });
}
if (uses.has('cors')) app.use(cors({ origin: ORIGIN, credentials: true }));
if (uses.has('timeout')) app.use(timeout(10_000));
if (uses.has('servertiming')) app.use(timing());
if (uses.has('requestid')) app.use(requestId());
if (uses.has('session')) {
  // No session middleware in Hono: the session is a signed cookie holding JSON.
  app.use(async (c, next) => {
    const raw = await getSignedCookie(c, SECRET, 'session');
    let data = {};
    if (typeof raw === 'string') {
      try {
        data = JSON.parse(raw);
      } catch {
        data = {};
      }
    }
    c.set('session', data);
    await next();
  });
}
if (uses.has('gzip')) app.use(compress({ encoding: 'gzip', threshold: 500 }));

const session = uses.has('session');
app.get('/items/:id{[0-9]+}', (c) => c.json({ id: Number(c.req.param('id')), user: session ? (c.get('session').user ?? null) : null, items: ITEMS }));
app.get('/login', async (c) => {
  await setSignedCookie(c, 'session', JSON.stringify({ user: 'alice', at: Date.now() }), SECRET, { path: '/', httpOnly: true, sameSite: 'Lax', maxAge: 14 * 24 * 3600 });
  return c.json({ ok: true });
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  announce(info.port, () => server.close());
});
