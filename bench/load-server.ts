// The showcase app (every built-in middleware) with two more layers: 10 middleware in all.
// Also a route that fails one call in ten. Run by bench/load.ts with `node --import tsx`; prints `listening <port>`, exits on SIGTERM.
import type { ServerResponse } from 'node:http';
import { BaseHTTPMiddleware, HTTPException, type CallNext, type Request, type Response } from 'stackware';
import { app } from '../docs/examples/showcase/app.js';

class Tag extends BaseHTTPMiddleware<{ name: string }> {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    response.headers.set(`x-${this.options.name}`, '1');
    return response;
  }
}

app.addMiddleware(Tag, { name: 'load-9' });
app.middleware('http')(async (request, callNext) => {
  const response = await callNext(request);
  response.headers.set('x-load-10', '1');
  return response;
});

// Issue 6's faults under load: every tenth call of /flaky throws (an unhandled error, so a 500
// logged by the server-error layer). /load-stats tells the load test how many failed.
let flakyCalls = 0;
let flakyFailures = 0;
app.get('/flaky', () => {
  flakyCalls += 1;
  if (flakyCalls % 10 === 0) {
    flakyFailures += 1;
    throw new Error('planned failure');
  }
  return { ok: true };
});
let non2xxSent = 0;
app.get('/load-stats', () => ({ flakyCalls, flakyFailures, non2xxSent }));
// A full garbage collection (the load test starts this server with --expose-gc), then the memory in use.
app.get('/load-gc', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new HTTPException(501, 'start the server with --expose-gc');
  gc();
  return process.memoryUsage();
});

void app.listen(0, '127.0.0.1', { shutdownTimeout: 5 }).then((server) => {
  // What went on the wire, counted apart from the app: every answer that was not a 2xx.
  server.on('request', (_req, res: ServerResponse) => {
    res.once('finish', () => {
      if (res.statusCode < 200 || res.statusCode > 299) non2xxSent += 1;
    });
  });
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
  const stop = (): void => {
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
