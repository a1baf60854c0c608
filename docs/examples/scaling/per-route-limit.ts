import { Application, MemoryStore, Middleware, RateLimitMiddleware } from 'stackware';

export const app = new Application();
const store = new MemoryStore(); // one process only: under --workers N each worker counts on its own

// A tighter limit on one route, keyed by API key instead of the client address.
const loginLimit = new Middleware(RateLimitMiddleware, {
  limit: 5,
  window: 60,
  store,
  keyPrefix: 'login:',
  key: (request) => request.headers.get('x-api-key') ?? request.client?.host,
});
app.post('/login', () => ({ ok: true }), { middleware: [loginLimit] });
app.get('/', () => ({ ok: true }));
