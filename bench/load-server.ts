// The showcase app (every built-in middleware) with two more layers: 10 middleware in all.
// Also a route that fails one call in ten. Run by bench/load.ts with `node --import tsx`; prints `listening <port>`, exits on SIGTERM.
import { rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseHTTPMiddleware, FileResponse, HTTPException, StreamingResponse, type CallNext, type Request, type Response } from 'stackware';
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
// Issue 19's hostile clients: slow readers of an endless stream and of an 8 MiB file (the send
// timeout must stop them and close their files), and uploads answered before they are read.
let openStreams = 0;
const chunk = new Uint8Array(64 * 1024).fill(120);
app.get('/load-endless', () => {
  openStreams += 1;
  return new StreamingResponse(
    (async function* () {
      try {
        for (;;) yield chunk;
      } finally {
        openStreams -= 1;
      }
    })(),
  );
});
const bigFile = join(tmpdir(), `stackware-load-${process.pid}.bin`);
writeFileSync(bigFile, Buffer.alloc(8 * 1024 * 1024, 1));
app.get('/load-file', () => new FileResponse(bigFile));
app.post('/load-upload', () => {
  throw new HTTPException(401, 'Not authenticated');
});

let non2xxSent = 0;
app.get('/load-stats', () => ({ flakyCalls, flakyFailures, non2xxSent, openStreams }));
// A full garbage collection (the load test starts this server with --expose-gc), then the memory in use.
app.get('/load-gc', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new HTTPException(501, 'start the server with --expose-gc');
  gc();
  return process.memoryUsage();
});

// A short send timeout keeps the slow-reader phase short: the default is 60 s.
const sendTimeout = Number(process.env.LOAD_SEND_TIMEOUT ?? 2);
void app.listen(0, '127.0.0.1', { shutdownTimeout: 5, sendTimeout }).then((server) => {
  // What went on the wire, counted apart from the app: every answer that was not a 2xx.
  server.on('request', (_req, res: ServerResponse) => {
    res.once('finish', () => {
      if (res.statusCode < 200 || res.statusCode > 299) non2xxSent += 1;
    });
  });
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
  const stop = (): void => {
    rmSync(bigFile, { force: true });
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
