import { createClient } from 'redis';
import { Application, ProxyHeadersMiddleware, RateLimitMiddleware, RedisStore, SessionMiddleware } from 'stackware';

// One client per process, created with settings fit for a store: no offline queue (a command
// fails at once while Redis is down instead of replaying later) and an 'error' listener.
export const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
client.on('error', () => undefined); // the middleware log an outage once, and its recovery
export const store = new RedisStore(client);
export const ready = client.connect();

export const app = new Application();
app.get('/api/items', () => [{ id: 1 }]);
app.get('/login', (request) => {
  request.regenerateSession(); // a new id at login: a planted id is worth nothing
  request.session.user = 'ann';
  return { user: 'ann' };
});
app.get('/me', (request) => ({ user: request.session.user ?? null }));

// Inner to outer: sessions, the limit, then the proxy headers that settle who the client is.
app.addMiddleware(SessionMiddleware, { secretKey: process.env.SESSION_SECRET!, store });
app.addMiddleware(RateLimitMiddleware, { limit: 100, window: 60, store, failOpen: false });
app.addMiddleware(ProxyHeadersMiddleware, { trustedHosts: ['127.0.0.1'] });
