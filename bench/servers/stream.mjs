// Streaming: GET /stream?bytes=B answers B bytes in 64 KiB chunks, all the same reused Buffer,
// from an async generator. --style=raw pipes the generator into the response (node:stream
// pipeline); --style=stackware returns a StreamingResponse through --layers=N BaseHTTPMiddleware
// layers. GET /stats reports what the generator produced and the peak of res.writableLength seen
// right after each res.write (the bytes held in user space by the response and its socket).
import { createServer } from 'node:http';
import { Readable, pipeline } from 'node:stream';
import { addHeaderLayer, layers, option, serve, stackware } from './harness.mjs';

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const style = option('style', 'raw');
const n = layers();
const stats = { produced: 0, chunks: 0, peakBuffered: 0, highWaterMark: 0, stopped: false };

async function* body(total) {
  try {
    for (let sent = 0; sent < total; sent += CHUNK.length) {
      stats.produced += CHUNK.length;
      stats.chunks++;
      yield CHUNK;
    }
  } finally {
    if (stats.produced < total) stats.stopped = true;
  }
}

function track(res) {
  stats.highWaterMark = res.socket.writableHighWaterMark;
  const write = res.write;
  res.write = function trackedWrite(...args) {
    const ok = write.apply(this, args);
    if (this.writableLength > stats.peakBuffered) stats.peakBuffered = this.writableLength;
    return ok;
  };
}

function bytesOf(url) {
  const value = Number(new URL(url, 'http://x').searchParams.get('bytes'));
  return Number.isFinite(value) && value > 0 ? value : 1024 * 1024;
}

let handler;
if (style === 'raw') {
  handler = (req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    pipeline(Readable.from(body(bytesOf(req.url))), res, () => undefined);
  };
} else if (style === 'stackware') {
  const { Application, BaseHTTPMiddleware, StreamingResponse } = stackware();
  const AddHeader = addHeaderLayer(BaseHTTPMiddleware);
  const app = new Application();
  for (let i = 0; i < n; i++) app.addMiddleware(AddHeader, { i });
  app.get('/stream', (request) => new StreamingResponse(body(bytesOf(request.url.href)), { mediaType: 'application/octet-stream' }));
  handler = app.callback();
} else {
  throw new Error(`unknown --style=${style}`);
}

serve(
  createServer((req, res) => {
    if (req.url === '/stats') {
      const mem = process.memoryUsage();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...stats, rss: mem.rss, arrayBuffers: mem.arrayBuffers }));
      return;
    }
    track(res);
    handler(req, res);
  }),
);
