import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, createBrotliDecompress, createGunzip, gunzipSync } from 'node:zlib';
import request from 'supertest';
import { Application } from '../../lib/application';
import { FileResponse } from '../../lib/file-response';
import { Middleware } from '../../lib/middleware/base';
import { GZipMiddleware, type GZipOptions } from '../../lib/middleware/gzip';
import { PlainTextResponse, Response, StreamingResponse, type ResponseInit } from '../../lib/responses';
import { rawRequest, serve, within } from '../helpers';

const X4000 = 'x'.repeat(4000);

async function* tenChunks(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 10; i++) yield Buffer.from('x'.repeat(400));
}

function gzipApp(endpoint: () => Response, options?: GZipOptions, method: 'get' | 'head' = 'get'): Application {
  const app = new Application({ middleware: [new Middleware(GZipMiddleware, options)] });
  app[method === 'head' ? 'get' : method]('/', endpoint);
  return app;
}

const plain = (text: string, init?: ResponseInit) => () => new PlainTextResponse(text, { statusCode: 200, ...init });
const streaming = (init?: ResponseInit) => () => new StreamingResponse(tenChunks(), { statusCode: 200, ...init });

/** Reads a whole raw (still encoded) body. */
async function rawBody(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A supertest parser keeping the bytes as they are (after supertest's own decompression). */
function binary(res: request.Response, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('GZipMiddleware', () => {
  describe("Starlette's test_gzip.py", () => {
    it('compresses a large response for a client accepting gzip (starlette: test_gzip_responses)', async () => {
      const res = await request(gzipApp(plain(X4000)).callback()).get('/').set('accept-encoding', 'gzip').expect(200);
      expect(res.text).toBe(X4000);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers.vary).toBe('Accept-Encoding');
      expect(Number(res.headers['content-length'])).toBeLessThan(4000);
    });

    it('sends identity but Vary for a client not accepting gzip (starlette: test_gzip_not_in_accept_encoding)', async () => {
      const res = await request(gzipApp(plain(X4000)).callback()).get('/').set('accept-encoding', 'identity').expect(200);
      expect(res.text).toBe(X4000);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers.vary).toBe('Accept-Encoding');
      expect(Number(res.headers['content-length'])).toBe(4000);
    });

    it('leaves small responses alone, without Vary (starlette: test_gzip_ignored_for_small_responses)', async () => {
      const res = await request(gzipApp(plain('OK')).callback()).get('/').set('accept-encoding', 'gzip').expect(200);
      expect(res.text).toBe('OK');
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers.vary).toBeUndefined();
      expect(Number(res.headers['content-length'])).toBe(2);
    });

    it('compresses a streaming response whatever its chunk size (starlette: test_gzip_streaming_response)', async () => {
      const res = await request(gzipApp(streaming()).callback()).get('/').set('accept-encoding', 'gzip').expect(200);
      expect(res.text).toBe(X4000);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers.vary).toBe('Accept-Encoding');
      expect(res.headers['content-length']).toBeUndefined();
    });

    it('streams identity but Vary for a client not accepting gzip (starlette: test_gzip_streaming_response_identity)', async () => {
      const res = await request(gzipApp(streaming()).callback())
        .get('/')
        .set('accept-encoding', 'identity')
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect((res.body as Buffer).toString()).toBe(X4000);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers.vary).toBe('Accept-Encoding');
      expect(res.headers['content-length']).toBeUndefined();
    });

    it('leaves a response with a Content-Encoding alone (starlette: test_gzip_ignored_for_responses_with_encoding_set)', async () => {
      const app = gzipApp(streaming({ headers: { 'Content-Encoding': 'text' } }));
      const { url, close } = await serve(app);
      try {
        const res = await within(rawRequest(url, { headers: { 'accept-encoding': 'gzip, text' } }), 5000, 'the response head');
        expect(res.statusCode).toBe(200);
        expect((await within(rawBody(res), 5000, 'the body')).toString()).toBe(X4000);
        expect(res.headers['content-encoding']).toBe('text');
        expect(res.headers.vary).toBeUndefined();
        expect(res.headers['content-length']).toBeUndefined();
      } finally {
        await close();
      }
    });

    it('leaves server-sent events alone (starlette: test_gzip_ignored_on_server_sent_events)', async () => {
      const res = await request(gzipApp(streaming({ mediaType: 'text/event-stream' })).callback())
        .get('/')
        .set('accept-encoding', 'gzip')
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect((res.body as Buffer).toString()).toBe(X4000);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers['content-length']).toBeUndefined();
      expect(res.headers.vary).toBeUndefined();
    });

    it('sends a FileResponse whole, as one compressed stream: Node has no pathsend (starlette: test_gzip_ignored_for_pathsend_responses)', async () => {
      // Starlette hands such a file to an ASGI server's `pathsend` extension untouched (events:
      // start, then pathsend). Node has no such extension: a FileResponse is a stream, compressed
      // like any other, so this checks that the file arrives once, whole and intact.
      const dir = mkdtempSync(join(tmpdir(), 'stackware-gzip-'));
      try {
        const path = join(dir, 'example.txt');
        writeFileSync(path, '<file content>');
        const app = new Application({ middleware: [new Middleware(GZipMiddleware)] });
        app.get('/', async (req) => {
          await req.body();
          return new FileResponse(path);
        });
        const { url, close } = await serve(app);
        try {
          const res = await within(rawRequest(url, { headers: { 'accept-encoding': 'gzip, text' } }), 5000, 'the response head');
          expect(res.statusCode).toBe(200);
          expect(res.headers['content-encoding']).toBe('gzip');
          expect(res.headers['content-length']).toBeUndefined();
          expect(gunzipSync(await within(rawBody(res), 5000, 'the body')).toString()).toBe('<file content>');
        } finally {
          await close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('streaming', () => {
    /** A stream whose second chunk is produced only once the test calls `release()`. */
    function gatedStream() {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const state = { secondProduced: false, closed: false };
      async function* body(): AsyncGenerator<string> {
        try {
          yield 'data: first\n\n';
          await gate;
          state.secondProduced = true;
          yield 'data: second\n\n';
        } finally {
          state.closed = true;
        }
      }
      return { body, release, state };
    }

    it.each([
      ['gzip', 'gzip', createGunzip],
      ['br', 'br', createBrotliDecompress],
    ] as const)('delivers the first %s chunk to a real client before the second is produced', async (acceptEncoding, encoding, decompressor) => {
      const { body, release, state } = gatedStream();
      const app = gzipApp(() => new StreamingResponse(body(), { mediaType: 'text/plain' }));
      const { url, close } = await serve(app);
      try {
        const res = await within(rawRequest(url, { headers: { 'accept-encoding': acceptEncoding } }), 5000, 'the response head');
        expect(res.headers['content-encoding']).toBe(encoding);
        expect(res.headers.vary).toBe('Accept-Encoding');
        const decoded = res.pipe(decompressor());
        let text = '';
        const firstArrived = new Promise<void>((resolve) => {
          decoded.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            if (text.includes('first')) resolve();
          });
        });
        const ended = new Promise<void>((resolve, reject) => {
          decoded.on('end', resolve);
          decoded.on('error', reject);
        });
        await within(firstArrived, 5000, 'the first chunk, decompressed');
        expect(text).toBe('data: first\n\n');
        expect(state.secondProduced).toBe(false);

        release();
        await within(ended, 5000, 'the end of the stream');
        expect(text).toBe('data: first\n\ndata: second\n\n');
        expect(state.closed).toBe(true);
      } finally {
        release();
        await close();
      }
    });

    it('decompresses to the original bytes, chunk for chunk', async () => {
      const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`chunk ${i} ${'é'.repeat(i)}\n`));
      const app = gzipApp(() => new StreamingResponse(chunks));
      const { url, close } = await serve(app);
      try {
        const gzip = await within(rawRequest(url, { headers: { 'accept-encoding': 'gzip' } }), 5000, 'the response head');
        expect(gunzipSync(await within(rawBody(gzip), 5000, 'the body'))).toEqual(Buffer.concat(chunks));
        const br = await within(rawRequest(url, { headers: { 'accept-encoding': 'br' } }), 5000, 'the response head');
        expect(brotliDecompressSync(await within(rawBody(br), 5000, 'the body'))).toEqual(Buffer.concat(chunks));
      } finally {
        await close();
      }
    });

    it('stops the source stream when the client goes away', async () => {
      const state = { produced: 0, closed: false };
      async function* endless(): AsyncGenerator<string> {
        try {
          for (;;) {
            state.produced += 1;
            yield `data: ${state.produced}\n\n`;
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        } finally {
          state.closed = true;
        }
      }
      const app = gzipApp(() => new StreamingResponse(endless()));
      const { url, close } = await serve(app);
      try {
        const res = await within(rawRequest(url, { headers: { 'accept-encoding': 'gzip' } }), 5000, 'the response head');
        expect(res.headers['content-encoding']).toBe('gzip');
        await within(new Promise((resolve) => res.once('data', resolve)), 5000, 'the first chunk');
        res.destroy();
        await within(
          (async () => {
            while (!state.closed) await new Promise((resolve) => setTimeout(resolve, 10));
          })(),
          5000,
          'the source stream to be closed',
        );
        const produced = state.produced;
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(state.produced).toBe(produced);
      } finally {
        await close();
      }
    });

    it('sends the headers of a compressed stream for HEAD, without a body', async () => {
      const res = await request(gzipApp(streaming(), undefined, 'head').callback()).head('/').set('accept-encoding', 'gzip').expect(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers.vary).toBe('Accept-Encoding');
      expect(res.headers['content-length']).toBeUndefined();
    });
  });

  describe('encoding negotiation', () => {
    const cases: Array<[string, GZipOptions | undefined, string | undefined]> = [
      ['br', undefined, 'br'],
      ['gzip', undefined, 'gzip'],
      ['br, gzip', undefined, 'br'],
      ['gzip, br', undefined, 'gzip'],
      ['gzip, deflate, br, zstd', undefined, 'gzip'],
      ['gzip;q=0.5, br', undefined, 'br'],
      ['br;q=0.8, gzip;q=0.9', undefined, 'gzip'],
      ['BR;Q=1, GZIP;Q=0.1', undefined, 'br'],
      ['br, gzip', { brotli: false }, 'gzip'],
      ['br', { brotli: false }, undefined],
      ['gzip;q=0', undefined, undefined],
      ['gzip;q=0, br;q=0', undefined, undefined],
      ['*', undefined, 'gzip'],
      ['*;q=0.5, br', undefined, 'br'],
      ['identity', undefined, undefined],
      ['deflate', undefined, undefined],
      ['gzip;q=bogus, br;q=0.5', undefined, 'br'],
    ];

    it.each(cases)('Accept-Encoding %p with %p → %p', async (acceptEncoding, options, expected) => {
      const app = gzipApp(plain(X4000), options);
      const { url, close } = await serve(app);
      try {
        const res = await within(rawRequest(url, { headers: { 'accept-encoding': acceptEncoding } }), 5000, 'the response head');
        const body = await within(rawBody(res), 5000, 'the body');
        expect(res.headers['content-encoding']).toBe(expected);
        expect(res.headers.vary).toBe('Accept-Encoding');
        expect(Number(res.headers['content-length'])).toBe(body.byteLength);
        const decoded = expected === 'gzip' ? gunzipSync(body) : expected === 'br' ? brotliDecompressSync(body) : body;
        expect(decoded.toString()).toBe(X4000);
      } finally {
        await close();
      }
    });

    it('sends identity, with Vary, when the request has no Accept-Encoding', async () => {
      const app = gzipApp(plain(X4000));
      const { url, close } = await serve(app);
      try {
        const res = await within(rawRequest(url), 5000, 'the response head');
        expect(res.headers['content-encoding']).toBeUndefined();
        expect(res.headers.vary).toBe('Accept-Encoding');
        expect((await rawBody(res)).toString()).toBe(X4000);
      } finally {
        await close();
      }
    });

    it('decodes a brotli response in supertest too', async () => {
      const res = await request(gzipApp(plain(X4000)).callback()).get('/').set('accept-encoding', 'br').expect(200);
      expect(res.headers['content-encoding']).toBe('br');
      expect(res.text).toBe(X4000);
    });
  });

  describe('options and edges', () => {
    it('compresses from minimumSize bytes', async () => {
      const app = gzipApp(plain('y'.repeat(100)), { minimumSize: 100 });
      const res = await request(app.callback()).get('/').set('accept-encoding', 'gzip').expect(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.text).toBe('y'.repeat(100));

      const smaller = gzipApp(plain('y'.repeat(99)), { minimumSize: 100 });
      const small = await request(smaller.callback()).get('/').set('accept-encoding', 'gzip').expect(200);
      expect(small.headers['content-encoding']).toBeUndefined();
      expect(small.headers.vary).toBeUndefined();

      const large = await request(gzipApp(plain(X4000), { minimumSize: 5000 }).callback()).get('/').set('accept-encoding', 'gzip');
      expect(large.headers['content-encoding']).toBeUndefined();
    });

    it('compresses at compressLevel', async () => {
      const text = Array.from({ length: 400 }, (_, i) => `line ${i} ${i * 7919}`).join('\n');
      const sizeAt = async (compressLevel: number) => {
        const res = await request(gzipApp(plain(text), { compressLevel }).callback()).get('/').set('accept-encoding', 'gzip').expect(200);
        expect(res.text).toBe(text);
        return Number(res.headers['content-length']);
      };
      const stored = await sizeAt(0);
      const best = await sizeAt(9);
      expect(stored).toBeGreaterThan(text.length); // level 0: stored blocks plus the gzip framing
      expect(best).toBeLessThan(text.length / 2);
      expect(() => new GZipMiddleware(new Application(), { compressLevel: 10 })).toThrow(RangeError);
    });

    it('compresses a large fixed body off the event loop, with gzip and with brotli', async () => {
      // 4 MiB of varied text: at level 9 that takes far longer than one turn of the event loop.
      const text = Array.from({ length: 120_000 }, (_, i) => `line ${i} ${(i * 7919) % 100_003}`).join('\n');
      for (const encoding of ['gzip', 'br']) {
        const events: string[] = [];
        const app = gzipApp(() => {
          setTimeout(() => events.push('timer'), 0);
          return new PlainTextResponse(text);
        });
        app.middleware('http')(async (req, callNext) => {
          const response = await callNext(req);
          events.push('compressed');
          return response;
        });
        const { url, close } = await serve(app);
        try {
          const res = await within(rawRequest(url, { headers: { 'accept-encoding': encoding } }), 10_000, 'the response head');
          expect(res.headers['content-encoding']).toBe(encoding);
          const body = await within(rawBody(res), 10_000, 'the body');
          expect((encoding === 'gzip' ? gunzipSync(body) : brotliDecompressSync(body)).toString()).toBe(text);
        } finally {
          await close();
        }
        // Compressed synchronously, the chain would finish before the timer could fire.
        expect(events).toEqual(['timer', 'compressed']);
      }
    });

    it('appends Accept-Encoding to an existing Vary', async () => {
      const res = await request(gzipApp(plain(X4000, { headers: { vary: 'Cookie' } })).callback()).get('/').set('accept-encoding', 'gzip');
      expect(res.headers.vary).toBe('Cookie, Accept-Encoding');
    });

    it('leaves event streams alone whatever the content-type parameters', async () => {
      const res = await request(gzipApp(plain(X4000, { mediaType: 'text/event-stream; charset=utf-8' })).callback())
        .get('/')
        .set('accept-encoding', 'gzip');
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.text).toBe(X4000);
    });

    it('keeps the compressed Content-Length for HEAD on a fixed body', async () => {
      const get = await request(gzipApp(plain(X4000)).callback()).get('/').set('accept-encoding', 'gzip');
      const head = await request(gzipApp(plain(X4000)).callback()).head('/').set('accept-encoding', 'gzip').expect(200);
      expect(head.headers['content-encoding']).toBe('gzip');
      expect(head.headers['content-length']).toBe(get.headers['content-length']);
    });

    it('leaves bodyless statuses alone', async () => {
      const res = await request(gzipApp(() => new Response(null, { statusCode: 204 })).callback()).get('/').set('accept-encoding', 'gzip');
      expect(res.status).toBe(204);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers.vary).toBeUndefined();
    });
  });
});

describe('GZipMiddleware and validators (ETag, ranges)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stackware-gzip-etag-'));
  const path = join(dir, 'page.html');
  const page = `<p>${'hello '.repeat(500)}</p>`;
  writeFileSync(path, page);
  const app = new Application({ middleware: [new Middleware(GZipMiddleware)] });
  app.get('/file', (req) => new FileResponse(path, { request: req }));
  app.get('/fixed', () => new PlainTextResponse(X4000, { headers: { etag: '"fixed-v1"' } }));
  app.get('/weak', () => new PlainTextResponse(X4000, { headers: { etag: 'W/"already-weak"' } }));
  let server: Awaited<ReturnType<typeof serve>>;
  const get = async (at: string, headers: Record<string, string>) => {
    const res = await within(rawRequest(server.url, { path: at, headers }), 5000, 'the response head');
    return { res, body: await within(rawBody(res), 5000, 'the body') };
  };

  beforeAll(async () => {
    server = await serve(app);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('weakens the strong ETag of a file it compresses, keeps Vary, and drops accept-ranges', async () => {
    const identity = await get('/file', { 'accept-encoding': 'identity' });
    const strong = identity.res.headers.etag as string;
    expect(strong).toMatch(/^"[0-9a-f]{32}"$/);
    expect(identity.res.headers['accept-ranges']).toBe('bytes');
    for (const coding of ['gzip', 'br']) {
      const { res, body } = await get('/file', { 'accept-encoding': coding });
      expect(res.headers['content-encoding']).toBe(coding);
      expect(res.headers.etag).toBe(`W/${strong}`);
      expect(res.headers.vary).toBe('Accept-Encoding');
      expect(res.headers['accept-ranges']).toBeUndefined();
      expect((coding === 'gzip' ? gunzipSync(body) : brotliDecompressSync(body)).toString()).toBe(page);
    }
  });

  it('weakens the strong ETag of a fixed body it compresses and leaves a weak one as it is', async () => {
    expect((await get('/fixed', { 'accept-encoding': 'gzip' })).res.headers.etag).toBe('W/"fixed-v1"');
    expect((await get('/fixed', { 'accept-encoding': 'identity' })).res.headers.etag).toBe('"fixed-v1"');
    expect((await get('/weak', { 'accept-encoding': 'gzip' })).res.headers.etag).toBe('W/"already-weak"');
  });

  it('answers a revalidation of the compressed copy with a 304 carrying the same weak ETag and Vary (RFC 9110 §15.4.5)', async () => {
    const first = await get('/file', { 'accept-encoding': 'gzip' });
    const { res, body } = await get('/file', { 'accept-encoding': 'gzip', 'if-none-match': first.res.headers.etag as string });
    expect(res.statusCode).toBe(304);
    expect(res.headers.etag).toBe(first.res.headers.etag);
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(body.byteLength).toBe(0);
    const identity = await get('/file', { 'accept-encoding': 'identity', 'if-none-match': first.res.headers.etag as string });
    expect(identity.res.statusCode).toBe(304);
    expect(identity.res.headers.etag).toMatch(/^"/);
    expect(identity.res.headers.vary).toBe('Accept-Encoding');
  });

  it('never compresses a 206: its content-range counts identity bytes', async () => {
    const { res, body } = await get('/file', { 'accept-encoding': 'gzip', range: 'bytes=3-12' });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-range']).toBe(`bytes 3-12/${Buffer.byteLength(page)}`);
    expect(body.toString()).toBe(page.slice(3, 13));
  });

  it('sends the whole identity file when If-Range names the weak ETag of the compressed copy', async () => {
    const compressed = await get('/file', { 'accept-encoding': 'gzip' });
    const { res } = await get('/file', { 'accept-encoding': 'identity', range: 'bytes=0-9', 'if-range': compressed.res.headers.etag as string });
    expect(res.statusCode).toBe(200);
  });
});
