// The floor: node:http streaming the file with fs.createReadStream, content-length and nothing else.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { option, serve } from './harness.mjs';

const dir = option('dir', '.');
serve(
  createServer((req, res) => {
    const name = (req.url ?? '/').replace(/^\/static\//, '');
    if (name.includes('/') || name.startsWith('.')) return void res.writeHead(404).end();
    const path = join(dir, name);
    let size;
    try {
      size = statSync(path).size;
    } catch {
      return void res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    createReadStream(path, { highWaterMark: 64 * 1024 }).pipe(res);
  }),
);
