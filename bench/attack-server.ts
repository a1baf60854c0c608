// The server of the attack sweep (bench/attack.ts): the showcase app (every built-in middleware,
// TrustedHostMiddleware for localhost and 127.0.0.1 among them), with an upload route that spools past 64 KiB and path-template
// routes an attacker can aim long URLs at. GET /attack-stats reports what the sweep judges: open
// file descriptors, deleted-but-open upload files, spool directories, and the event loop's
// longest delay since the last call. Run with `node --import tsx`; prints `listening <port>`.
import { readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Request } from 'stackware';
import { app } from '../docs/examples/showcase/app.js';


app.post('/upload', async (request: Request) => {
  const form = await request.form({ spoolSize: 64 * 1024 });
  const file = form.get('file');
  return { size: typeof file === 'string' || file === null ? 0 : file.size };
}, { maxBodySize: 64 * 1024 * 1024 }); // over 8 MiB: the body streams into the parser, files spool as they arrive
app.get('/three/{a:path}/{b:path}/{c:path}/z', (request) => ({ params: Object.keys(request.pathParams).length }));
app.get('/two/{a:path}/{b:path}', (request) => ({ params: Object.keys(request.pathParams).length }));
// `/docs` is answered with a trailing-slash redirect built from the request's URL.
app.get('/docs/', () => ({ docs: true }));
app.get('/x/{id:int}', (request) => ({ id: request.pathParams.id }));

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

function fdTargets(): string[] {
  return readdirSync('/proc/self/fd').map((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return '';
    }
  });
}

app.get('/attack-stats', () => {
  const targets = fdTargets();
  const stats = {
    fds: targets.length,
    deletedUploadFiles: targets.filter((target) => target.includes('stackware-upload-') && target.endsWith('(deleted)')).length,
    openUploadFiles: targets.filter((target) => target.includes('stackware-upload-')).length,
    spoolDirectories: readdirSync(tmpdir()).filter((name) => name.startsWith('stackware-upload-')).length,
    maxEventLoopDelayMs: Math.round(delay.max / 1e4) / 100,
    rssMiB: Math.round(process.memoryUsage().rss / 1048576),
  };
  delay.reset();
  return stats;
});

void app.listen(0, '127.0.0.1', { shutdownTimeout: 5 }).then((server) => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
  const stop = (): void => {
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
