// Fastify with its official plugins (@fastify/cors, @fastify/compress, @fastify/secure-session,
// genReqId + a header hook) or, where there is no plugin, the few lines of hook a Fastify user
// writes; for bench/stack-bench.ts, `--case=` as in stack-common.mjs.
import { randomUUID } from 'node:crypto';
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import secureSession from '@fastify/secure-session';
import Fastify from 'fastify';
import { announce } from './harness.mjs';
import { benchCase, ITEMS, KEY, ORIGIN } from './stack-common.mjs';

const { uses } = benchCase();
const app = Fastify({
  logger: false,
  ...(uses.has('requestid') ? { genReqId: () => randomUUID() } : {}),
  ...(uses.has('timeout') ? { handlerTimeout: 10_000 } : {}),
});

if (uses.has('cors')) await app.register(cors, { origin: ORIGIN, credentials: true });
if (uses.has('requestid')) {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}
if (uses.has('session')) await app.register(secureSession, { key: KEY, cookieName: 'session', cookie: { path: '/', httpOnly: true, sameSite: 'lax' } });
if (uses.has('gzip')) await app.register(compress, { threshold: 500, encodings: ['gzip'], zlibOptions: { level: 6 } });
if (uses.has('servertiming')) {
  // No official plugin: the hook pair a Fastify user writes.
  app.addHook('onRequest', (request, reply, done) => {
    request.startedAt = performance.now();
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('server-timing', `total;dur=${Math.round((performance.now() - request.startedAt) * 1000) / 1000}`);
    done(null, payload);
  });
}
if (uses.has('trustedhost')) {
  // No official plugin: an onRequest hook checking the host name.
  const allowed = new Set(['127.0.0.1', 'localhost']);
  app.addHook('onRequest', (request, reply, done) => {
    if (allowed.has(request.hostname)) return done();
    reply.code(400).type('text/plain; charset=utf-8').send('Invalid host header');
  });
}
if (uses.has('httpsredirect')) {
  // No official plugin: an onRequest hook redirecting plain http.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.protocol === 'https') return done();
    reply.redirect(`https://${request.host}${request.url}`, 307);
  });
}

const session = uses.has('session');
app.get('/items/:id', { schema: { params: { type: 'object', properties: { id: { type: 'integer' } } } } }, async (request) => ({
  id: request.params.id,
  user: session ? (request.session.get('user') ?? null) : null,
  items: ITEMS,
}));
app.get('/login', async (request) => {
  request.session.set('user', 'alice');
  request.session.set('at', Date.now());
  return { ok: true };
});

await app.listen({ port: 0, host: '127.0.0.1' });
announce(app.server.address().port, () => app.close());
