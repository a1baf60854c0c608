// stackware with its built-in middleware, for bench/stack-bench.ts: `--case=` picks which
// (stack: CORS + request id + session read + gzip; or one built-in alone).
import { createServer } from 'node:http';
import { benchCase, ITEMS, ORIGIN, SECRET } from './stack-common.mjs';
import { serve, stackware } from './harness.mjs';

const sw = stackware();
const { uses } = benchCase();
const app = new sw.Application();

// Innermost first: the last added is the outermost.
if (uses.has('gzip')) app.addMiddleware(sw.GZipMiddleware, { minimumSize: 500, compressLevel: 6 });
if (uses.has('session')) app.addMiddleware(sw.SessionMiddleware, { secretKey: SECRET });
if (uses.has('requestid')) app.addMiddleware(sw.RequestIdMiddleware);
if (uses.has('servertiming')) app.addMiddleware(sw.ServerTimingMiddleware);
if (uses.has('timeout')) app.addMiddleware(sw.TimeoutMiddleware, { seconds: 10 });
if (uses.has('cors')) app.addMiddleware(sw.CORSMiddleware, { allowOrigins: [ORIGIN], allowCredentials: true });
if (uses.has('trustedhost')) app.addMiddleware(sw.TrustedHostMiddleware, { allowedHosts: ['127.0.0.1', 'localhost'] });
if (uses.has('httpsredirect')) app.addMiddleware(sw.HTTPSRedirectMiddleware);

const session = uses.has('session');
app.get('/items/{id:int}', (request) => ({ id: request.pathParams.id, user: session ? (request.session.user ?? null) : null, items: ITEMS }));
app.get('/login', (request) => {
  request.session.user = 'alice';
  request.session.at = Date.now();
  return { ok: true };
});

serve(createServer(app.callback()));
