// The stackware application of the realistic-stack benchmark, with the built-in middleware a case
// uses: served by stack-stackware.mjs (bench/stack-bench.ts) and dispatched in process by
// bench/ab-middleware-cases.mjs, so that both measure the same app.
import { ITEMS, ORIGIN, SECRET } from './stack-common.mjs';

/** `sw`: the stackware module; `uses`: the names of the middleware to install (see USES in stack-common.mjs). */
export function stackwareApp(sw, uses) {
  const use = new Set(uses);
  const app = new sw.Application();
  // Innermost first: the last added is the outermost.
  if (use.has('gzip')) app.addMiddleware(sw.GZipMiddleware, { minimumSize: 500, compressLevel: 6 });
  if (use.has('session')) app.addMiddleware(sw.SessionMiddleware, { secretKey: SECRET });
  if (use.has('requestid')) app.addMiddleware(sw.RequestIdMiddleware);
  if (use.has('servertiming')) app.addMiddleware(sw.ServerTimingMiddleware);
  if (use.has('timeout')) app.addMiddleware(sw.TimeoutMiddleware, { seconds: 10 });
  if (use.has('cors')) app.addMiddleware(sw.CORSMiddleware, { allowOrigins: [ORIGIN], allowCredentials: true });
  if (use.has('trustedhost')) app.addMiddleware(sw.TrustedHostMiddleware, { allowedHosts: ['127.0.0.1', 'localhost'] });
  if (use.has('httpsredirect')) app.addMiddleware(sw.HTTPSRedirectMiddleware);

  const session = use.has('session');
  app.get('/items/{id:int}', (request) => ({ id: request.pathParams.id, user: session ? (request.session.user ?? null) : null, items: ITEMS }));
  app.get('/login', (request) => {
    request.session.user = 'alice';
    request.session.at = Date.now();
    return { ok: true };
  });
  return app;
}
