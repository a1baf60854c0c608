import { mkdtempSync, readdirSync, readlinkSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, FileResponse, MAX_RANGES } from 'stackware';
import { CHUNK_SIZE } from '../lib/file-body';
import { fakeRequest, recordingLogger, requestBytes, serve, until } from './helpers';

/** 1000 bytes of text whose every slice is different, so a wrong offset cannot go unnoticed. */
const CONTENT = Buffer.from(Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(4, '0')}\n`).join(''));
const SIZE = CONTENT.byteLength;

function fileWith(content: Buffer, name = 'readme.txt'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'stackware-file-')), name);
  writeFileSync(path, content);
  return path;
}

/** The parts of a multipart/byteranges body: their headers and bytes. */
function parseMultipart(body: Buffer, boundary: string): Array<{ headers: Record<string, string>; data: Buffer }> {
  const parts: Array<{ headers: Record<string, string>; data: Buffer }> = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const afterDelimiter = at + delimiter.byteLength;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const headEnd = body.indexOf('\r\n\r\n', afterDelimiter);
    const headers: Record<string, string> = {};
    for (const line of body.subarray(afterDelimiter + 2, headEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const next = body.indexOf(delimiter, headEnd + 4);
    parts.push({ headers, data: body.subarray(headEnd + 4, next - 2) });
    at = next;
  }
  return parts;
}

describe('FileResponse over a real socket', () => {
  const path = fileWith(CONTENT);
  const app = new Application();
  app.get('/file', (request) => new FileResponse(path, { request }));
  app.get('/no-request', () => new FileResponse(path));
  app.get('/not-found-page', (request) => new FileResponse(path, { request, statusCode: 404 }));
  let server: Awaited<ReturnType<typeof serve>>;
  const get = (headers: Record<string, string> = {}, method = 'GET', at = '/file') => requestBytes(server.url, { path: at, headers, method });

  beforeAll(async () => {
    server = await serve(app);
  });
  afterAll(() => server.close());

  it('sends the whole file with accept-ranges and no content-range (starlette: tests/test_responses.py::test_file_response_without_range)', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-range']).toBeUndefined();
    expect(res.headers['content-length']).toBe(String(SIZE));
    expect(res.body.equals(CONTENT)).toBe(true);
  });

  it('answers one range with 206, content-range and only those bytes (starlette: tests/test_responses.py::test_file_response_range)', async () => {
    const res = await get({ range: 'bytes=0-100' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 0-100/${SIZE}`);
    expect(res.headers['content-length']).toBe('101');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body.equals(CONTENT.subarray(0, 101))).toBe(true);
  });

  it('answers a HEAD with a range with the 206 head and no body (starlette: tests/test_responses.py::test_file_response_range_head)', async () => {
    const res = await get({ range: 'bytes=0-100' }, 'HEAD');
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 0-100/${SIZE}`);
    expect(res.headers['content-length']).toBe('101');
    expect(res.body.byteLength).toBe(0);
  });

  it('answers an open-ended range from its start to the end of the file', async () => {
    const res = await get({ range: 'bytes=900-' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 900-${SIZE - 1}/${SIZE}`);
    expect(res.body.equals(CONTENT.subarray(900))).toBe(true);
  });

  it('answers a suffix range with the last bytes (starlette: tests/test_responses.py::test_file_response_suffix_range)', async () => {
    const res = await get({ range: 'bytes=-100' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${SIZE - 100}-${SIZE - 1}/${SIZE}`);
    expect(res.body.equals(CONTENT.subarray(SIZE - 100))).toBe(true);
  });

  it('answers a suffix longer than the file with the whole file in a 206 (starlette: tests/test_responses.py::test_file_response_suffix_range_larger_than_file)', async () => {
    const res = await get({ range: 'bytes=-5000' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 0-${SIZE - 1}/${SIZE}`);
    expect(res.body.equals(CONTENT)).toBe(true);
  });

  it('cuts a range that ends past the file at its last byte (starlette: tests/test_responses.py::test_file_response_range_head_max)', async () => {
    const res = await get({ range: `bytes=990-${SIZE + 1}` });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 990-${SIZE - 1}/${SIZE}`);
    expect(res.body.equals(CONTENT.subarray(990))).toBe(true);
  });

  it('merges overlapping ranges into one (starlette: tests/test_responses.py::test_file_response_merge_ranges)', async () => {
    const res = await get({ range: 'bytes=0-100, 50-200' });
    expect(res.status).toBe(206);
    expect(res.headers['content-length']).toBe('201');
    expect(res.headers['content-range']).toBe(`bytes 0-200/${SIZE}`);
  });

  it('answers several ranges with multipart/byteranges, sorted, each part with its own content-range and none on the response (starlette: tests/test_responses.py::test_file_response_insert_ranges)', async () => {
    const res = await get({ range: 'bytes=100-200, 0-50' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBeUndefined();
    const match = /^multipart\/byteranges; boundary=([0-9a-f]+)$/.exec(res.headers['content-type'] ?? '');
    expect(match).not.toBeNull();
    expect(res.headers['content-length']).toBe(String(res.body.byteLength));
    const parts = parseMultipart(res.body, (match as RegExpExecArray)[1]);
    expect(parts.map((part) => part.headers)).toEqual([
      { 'content-type': 'text/plain; charset=utf-8', 'content-range': `bytes 0-50/${SIZE}` },
      { 'content-type': 'text/plain; charset=utf-8', 'content-range': `bytes 100-200/${SIZE}` },
    ]);
    expect(parts[0].data.equals(CONTENT.subarray(0, 51))).toBe(true);
    expect(parts[1].data.equals(CONTENT.subarray(100, 201))).toBe(true);
    expect(res.body.subarray(-(match as RegExpExecArray)[1].length - 4).toString()).toBe(`--${(match as RegExpExecArray)[1]}--`);
  });

  it('gives a HEAD with several ranges the same content-length as the GET, and no body (starlette: tests/test_responses.py::test_file_response_range_multi_head)', async () => {
    const head = await get({ range: 'bytes=0-100, 200-300' }, 'HEAD');
    const full = await get({ range: 'bytes=0-100, 200-300' });
    expect(head.status).toBe(206);
    expect(head.body.byteLength).toBe(0);
    expect(head.headers['content-length']).toBe(String(full.body.byteLength));
  });

  it(`sends the whole file for more than ${MAX_RANGES} ranges, and a multipart answer for ${MAX_RANGES}`, async () => {
    const ranges = (count: number): string => `bytes=${Array.from({ length: count }, (_, i) => `${i * 5}-${i * 5 + 1}`).join(',')}`;
    const tooMany = await get({ range: ranges(MAX_RANGES + 1) });
    expect(tooMany.status).toBe(200);
    expect(tooMany.body.equals(CONTENT)).toBe(true);
    const enough = await get({ range: ranges(MAX_RANGES) });
    expect(enough.status).toBe(206);
    expect(enough.headers['content-type']).toMatch(/^multipart\/byteranges; boundary=/);
  });

  it('answers a range that starts past the end with 416 and content-range bytes */size (starlette: tests/test_responses.py::test_file_response_range_416)', async () => {
    const res = await get({ range: `bytes=${SIZE + 1}-` });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${SIZE}`);
    expect(JSON.parse(res.body.toString())).toEqual({ detail: 'Range Not Satisfiable' });
    expect((await get({ range: 'bytes=-0' })).status).toBe(416);
  });

  it('serves the satisfiable ranges of a header that also has unsatisfiable ones (RFC 9110 §14.1.1)', async () => {
    const res = await get({ range: `bytes=${SIZE + 10}-${SIZE + 20}, 10-19` });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 10-19/${SIZE}`);
    expect(res.body.equals(CONTENT.subarray(10, 20))).toBe(true);
  });

  it('refuses an inverted range with 400 instead of a malformed 206 (starlette: tests/test_responses.py::test_file_response_start_must_be_less_than_end, Kludex/starlette#3388)', async () => {
    const res = await get({ range: 'bytes=5-4' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString())).toEqual({ detail: 'Range header: start must be less than end' });
  });

  it('refuses a range header with no range in it (starlette: tests/test_responses.py::test_file_response_range_must_be_requested, ::test_file_response_range_invalid)', async () => {
    const empty = await get({ range: 'bytes=' });
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.body.toString())).toEqual({ detail: 'Range header: range must be requested' });
    expect((await get({ range: 'bytes: 0-1000' }, 'HEAD')).status).toBe(400);
  });

  it('ignores a range unit it does not know and sends the whole file (RFC 9110 §14.2; Starlette answers 400 in tests/test_responses.py::test_file_response_only_support_bytes_range)', async () => {
    const res = await get({ range: 'items=0-100' });
    expect(res.status).toBe(200);
    expect(res.body.equals(CONTENT)).toBe(true);
  });

  it('skips parts without a dash, empty or not numeric (starlette: tests/test_responses.py::test_file_response_range_without_dash, ::test_file_response_range_empty_start_and_end, ::test_file_response_range_ignore_non_numeric)', async () => {
    for (const range of ['bytes=100, 0-50', 'bytes= - , 0-50', 'bytes=abc-def, 0-50']) {
      const res = await get({ range });
      expect({ range, status: res.status, contentRange: res.headers['content-range'] }).toEqual({ range, status: 206, contentRange: `bytes 0-50/${SIZE}` });
    }
  });

  it('honours If-Range with the current ETag or Last-Modified, and sends the whole file otherwise', async () => {
    const { headers } = await get();
    const etag = headers.etag as string;
    const lastModified = headers['last-modified'] as string;
    const status = async (ifRange: string): Promise<number> => (await get({ range: 'bytes=0-9', 'if-range': ifRange })).status;
    expect(await status(etag)).toBe(206);
    expect(await status(lastModified)).toBe(206);
    expect(await status('"some-older-version"')).toBe(200);
    expect(await status(etag.slice(0, -1))).toBe(200);
    expect(await status(`W/${etag}`)).toBe(200);
    expect(await status(new Date(Date.parse(lastModified) - 60_000).toUTCString())).toBe(200);
    const stale = await get({ range: 'bytes=0-9', 'if-range': '"some-older-version"' });
    expect(stale.body.equals(CONTENT)).toBe(true);
  });

  it('sends the whole file, without accept-ranges, when it is not given the request', async () => {
    const res = await get({ range: 'bytes=0-9' }, 'GET', '/no-request');
    expect(res.status).toBe(200);
    expect(res.headers['accept-ranges']).toBeUndefined();
    expect(res.body.equals(CONTENT)).toBe(true);
  });

  it('leaves a file response with another status than 200 whole (a 404 page is never a 206)', async () => {
    const res = await get({ range: 'bytes=0-9' }, 'GET', '/not-found-page');
    expect(res.status).toBe(404);
    expect(res.body.equals(CONTENT)).toBe(true);
  });
});

describe('FileResponse through app.fetch (web-standard runtimes)', () => {
  const path = fileWith(CONTENT);
  const app = new Application();
  app.get('/file', (request) => new FileResponse(path, { request }));

  it('answers a range, several ranges and a revalidation as over node:http', async () => {
    const one = await app.fetch(new Request('http://app/file', { headers: { range: 'bytes=10-19' } }));
    expect(one.status).toBe(206);
    expect(one.headers.get('content-range')).toBe(`bytes 10-19/${SIZE}`);
    expect(Buffer.from(await one.arrayBuffer()).equals(CONTENT.subarray(10, 20))).toBe(true);
    const several = await app.fetch(new Request('http://app/file', { headers: { range: 'bytes=0-1, 5-6' } }));
    expect(several.headers.get('content-type')).toMatch(/^multipart\/byteranges; boundary=/);
    expect((await several.arrayBuffer()).byteLength).toBe(Number(several.headers.get('content-length')));
    const revalidated = await app.fetch(new Request('http://app/file', { headers: { 'if-none-match': one.headers.get('etag') as string } }));
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
  });
});

describe('FileResponse reads ranges from disk a chunk at a time', () => {
  const big = Buffer.alloc(3 * CHUNK_SIZE + 1234);
  for (let i = 0; i < big.byteLength; i += 1) big[i] = (i * 7) % 251;
  const path = fileWith(big, 'big.bin');

  async function chunksOf(response: FileResponse): Promise<Uint8Array[]> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of response.bodyIterator ?? []) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return chunks;
  }

  it('streams a large single range in chunks no bigger than CHUNK_SIZE', async () => {
    const start = 1000;
    const end = 3 * CHUNK_SIZE;
    const response = new FileResponse(path, { request: fakeRequest({ headers: { range: `bytes=${start}-${end - 1}` } }) });
    const chunks = await chunksOf(response);
    expect(chunks.length).toBeGreaterThan(2);
    expect(Math.max(...chunks.map((chunk) => chunk.byteLength))).toBeLessThanOrEqual(CHUNK_SIZE);
    expect(Buffer.concat(chunks).equals(big.subarray(start, end))).toBe(true);
  });

  it('streams each part of a multipart answer in chunks no bigger than CHUNK_SIZE', async () => {
    const response = new FileResponse(path, { request: fakeRequest({ headers: { range: `bytes=0-${2 * CHUNK_SIZE}, ${3 * CHUNK_SIZE}-` } }) });
    const chunks = await chunksOf(response);
    expect(Math.max(...chunks.map((chunk) => chunk.byteLength))).toBeLessThanOrEqual(CHUNK_SIZE);
    expect(Buffer.concat(chunks).byteLength).toBe(Number(response.headers.get('content-length')));
  });

  it('takes the stats it is given instead of reading them again', () => {
    const stats = statSync(path);
    expect(new FileResponse(path, { stats }).stats).toBe(stats);
  });
});

describe('FileResponse closes its file however the response ends', () => {
  const big = Buffer.alloc(8 * 1024 * 1024, 7);
  const path = fileWith(big, 'large.bin');

  /** How many descriptors this process holds open on `file` (Linux's /proc/self/fd). */
  function openDescriptors(file: string): number {
    return readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false;
      }
    }).length;
  }

  it('closes the file when the client goes away in the middle of the body', async () => {
    const app = new Application();
    app.get('/large', (request) => new FileResponse(path, { request }));
    const server = await serve(app);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(`${server.url}/large`, { agent: false }, (res) => {
          res.once('data', () => {
            expect(openDescriptors(path)).toBe(1);
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => undefined);
        req.end();
        setTimeout(() => reject(new Error('no body within 5 s')), 5000).unref();
      });
      await until(() => openDescriptors(path) === 0, 'the file to be closed', 5000);
    } finally {
      await server.close();
    }
  });

  it('never opens the file for a HEAD, and closes it after a whole GET', async () => {
    const app = new Application();
    app.get('/large', (request) => new FileResponse(path, { request }));
    const server = await serve(app);
    try {
      expect((await requestBytes(server.url, { path: '/large', method: 'HEAD' })).body.byteLength).toBe(0);
      expect(openDescriptors(path)).toBe(0);
      expect((await requestBytes(server.url, { path: '/large' })).body.byteLength).toBe(big.byteLength);
      await until(() => openDescriptors(path) === 0, 'the file to be closed', 5000);
    } finally {
      await server.close();
    }
  });

  it('cuts the response short, and logs it, when the file shrinks while being sent', async () => {
    const shrinking = fileWith(Buffer.alloc(4 * 1024 * 1024, 1), 'shrinking.bin');
    const logger = recordingLogger();
    const app = new Application({ logger });
    app.get('/shrinking', (request) => {
      const response = new FileResponse(shrinking, { request });
      truncateSync(shrinking, 1000);
      return response;
    });
    const server = await serve(app);
    try {
      const outcome = await new Promise<{ received: number; complete: boolean }>((resolve) => {
        const req = httpRequest(`${server.url}/shrinking`, { agent: false }, (res) => {
          let received = 0;
          res.on('data', (chunk: Buffer) => (received += chunk.byteLength));
          res.on('end', () => resolve({ received, complete: res.complete }));
          res.on('error', () => resolve({ received, complete: false }));
          res.on('aborted', () => resolve({ received, complete: false }));
        });
        req.on('error', () => undefined);
        req.end();
      });
      expect(outcome.received).toBe(1000);
      expect(outcome.complete).toBe(false);
      await until(() => logger.errors.length > 0, 'the error to be logged', 5000);
      expect(String((logger.errors[0].error as Error).message)).toMatch(/shrank while being sent/);
      await until(() => openDescriptors(shrinking) === 0, 'the file to be closed', 5000);
    } finally {
      await server.close();
    }
  });
});
