import { setTimeout as sleep } from 'node:timers/promises';
import {
  Application,
  CORSMiddleware,
  CSRFMiddleware,
  GZipMiddleware,
  HTMLResponse,
  HTTPException,
  RequestIdMiddleware,
  SecurityHeadersMiddleware,
  ServerTimingMiddleware,
  SessionMiddleware,
  TimeoutMiddleware,
  TrustedHostMiddleware,
  requestId,
  serverTiming,
} from 'stackware';
import { ProcessTimeHeaderMiddleware } from '../middleware/tutorial002/middleware';

/** The app `npm start` serves: the tutorial's routes behind every built-in middleware. */
export const app = new Application();

// Added first = innermost. On the way in a request meets them from the bottom of this list up.
app.addMiddleware(TimeoutMiddleware, { seconds: 5 });
app.addMiddleware(SessionMiddleware, { secretKey: process.env.SECRET_KEY ?? 'dev-only-secret: set SECRET_KEY in production' });
// Unsafe methods from another origin than this one or the frontend's are refused with 403.
app.addMiddleware(CSRFMiddleware, { allowedOrigins: ['http://localhost:3000'] });
app.addMiddleware(ProcessTimeHeaderMiddleware);
app.addMiddleware(ServerTimingMiddleware);
app.addMiddleware(GZipMiddleware);
// helmet's headers, and a CSP nonce per request; served over plain http here, so no upgrade-insecure-requests.
app.addMiddleware(SecurityHeadersMiddleware, { cspNonce: true, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
app.addMiddleware(CORSMiddleware, {
  allowOrigins: ['http://localhost:3000'],
  allowCredentials: true,
  allowMethods: ['GET', 'POST'],
  exposeHeaders: ['X-Process-Time', 'X-Request-ID', 'Server-Timing'],
});
app.addMiddleware(TrustedHostMiddleware, { allowedHosts: ['localhost', '127.0.0.1'] });
app.addMiddleware(RequestIdMiddleware);
// Not HTTPSRedirectMiddleware: it would send every plain-http request on localhost to https.

app.get('/', () => ({ message: 'Hello World' }));

app.get('/items/{itemId:int}', (request) => {
  if (request.pathParams.itemId === 0) throw new HTTPException(404, 'Item not found');
  return { itemId: request.pathParams.itemId, requestId: requestId() };
});

app.get('/session', (request) => {
  const visits = Number(request.session.visits ?? 0) + 1;
  request.session.visits = visits;
  return { visits };
});

app.post('/session/reset', (request) => {
  request.session.visits = 0;
  return { visits: 0 };
});

// Only the script carrying this request's nonce runs; the form posts back to this origin.
app.get('/page', (request) =>
  new HTMLResponse(
    `<!doctype html><p id="out">script blocked</p><form method="post" action="/session/reset"><button>Reset visits</button></form>` +
      `<script nonce="${request.cspNonce}">document.getElementById('out').textContent = 'script ran';</script>`,
  ),
);

app.get('/large', async (request) => {
  const items = await serverTiming(request).time(
    'db',
    () => Array.from({ length: 500 }, (_, i) => ({ id: i, name: `Item ${i}`, tags: ['showcase', 'gzip'] })),
    'Load items',
  );
  return { count: items.length, items };
});

app.get('/slow', async (request) => {
  // Longer than the 5 s timeout: the client gets a 504, and the abort stops this sleep early.
  await sleep(10_000, undefined, { signal: request.signal });
  return { message: 'never sent' };
});

// A handshake goes through every middleware above: the 101 carries X-Request-ID and
// X-Process-Time, TrustedHost refuses a foreign Host, and the 5 s timeout covers the handshake only.
app.websocket('/ws/echo', async (ws) => {
  await ws.accept();
  for await (const message of ws) await (typeof message === 'string' ? ws.sendText(message) : ws.sendBytes(message));
});
