import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { Application, StaticFiles } from 'stackware';
import { requestBytes, serve } from './helpers';

function fixture(): { root: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), 'stackware-static-'));
  const root = join(base, 'public');
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(join(root, 'hello.txt'), 'hello');
  writeFileSync(join(root, 'docs', 'index.html'), '<h1>docs</h1>');
  writeFileSync(join(base, 'secret.txt'), 'top secret');
  symlinkSync(join(base, 'secret.txt'), join(root, 'escape.txt'));
  symlinkSync(join(root, 'hello.txt'), join(root, 'alias.txt'));
  return { root, outside: join(base, 'secret.txt') };
}

/** Sends the path exactly as given (supertest and fetch would normalize `..`). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('StaticFiles', () => {
  const { root, outside } = fixture();
  const app = new Application();
  app.mount('/static', new StaticFiles({ directory: root, html: true }));

  it('serves a file under the mount with its content type', async () => {
    await request(app.callback()).get('/static/hello.txt').expect(200).expect('content-type', 'text/plain; charset=utf-8').expect('hello');
  });

  it('serves index.html for a directory when html is on, and follows a symlink that stays inside', async () => {
    const client = request(app.callback());
    await client.get('/static/docs/').expect(200).expect('<h1>docs</h1>');
    await client.get('/static/alias.txt').expect(200).expect('hello');
  });

  it('answers 304 to If-None-Match with the current ETag', async () => {
    const client = request(app.callback());
    const first = await client.get('/static/hello.txt').expect(200);
    await client.get('/static/hello.txt').set('If-None-Match', first.headers.etag).expect(304);
  });

  it('refuses with 404 every path that escapes the root: .., encoded dots, absolute paths, NUL, symlinks out', async () => {
    const server = await serve(app);
    try {
      const attempts = [
        '/static/../secret.txt',
        '/static/..%2fsecret.txt',
        '/static/%2e%2e/secret.txt',
        '/static/%2E%2E%2Fsecret.txt',
        '/static/docs/../../secret.txt',
        `/static/${encodeURIComponent(outside)}`,
        `/static//${outside}`,
        '/static/hello.txt%00.png',
        '/static/escape.txt',
        '/static/..\\secret.txt',
        '/static/missing.txt',
      ];
      for (const path of attempts) {
        const res = await rawGet(server.url, path);
        expect({ path, status: res.status, leaked: res.body.includes('top secret') }).toEqual({ path, status: 404, leaked: false });
      }
    } finally {
      await server.close();
    }
  });

  it('answers 405 to methods other than GET and HEAD', async () => {
    await request(app.callback()).post('/static/hello.txt').expect(405).expect('allow', 'GET, HEAD');
  });
});

describe('StaticFiles over a real socket', () => {
  const base = mkdtempSync(join(tmpdir(), 'stackware-static-http-'));
  const site = join(base, 'site');
  mkdirSync(join(site, 'dir'), { recursive: true });
  mkdirSync(join(site, 'empty'));
  mkdirSync(join(site, '.git'));
  mkdirSync(join(site, 'assets', '.hidden'), { recursive: true });
  writeFileSync(join(site, 'hello.txt'), 'hello');
  writeFileSync(join(site, '404.html'), '<h1>Custom not found page</h1>');
  writeFileSync(join(site, 'dir', 'index.html'), '<h1>Hello</h1>');
  writeFileSync(join(site, '.env'), 'SECRET=1');
  writeFileSync(join(site, '.git', 'config'), '[core]');
  writeFileSync(join(site, 'assets', '.hidden', 'x.txt'), 'x');
  writeFileSync(join(site, 'assets', 'app.3f2a1c.js'), 'console.log(1)');
  const bare = join(base, 'bare');
  mkdirSync(join(bare, 'dir'), { recursive: true });
  writeFileSync(join(bare, 'dir', 'index.html'), '<h1>Hello</h1>');
  writeFileSync(join(bare, 'hello.txt'), 'hello');

  const app = new Application();
  app.mount('/html', new StaticFiles({ directory: site, html: true }));
  app.mount('/files', new StaticFiles({ directory: site }));
  app.mount('/bare', new StaticFiles({ directory: bare, html: true }));
  app.mount('/deny', new StaticFiles({ directory: site, dotfiles: 'deny' }));
  app.mount('/allow', new StaticFiles({ directory: site, dotfiles: 'allow' }));
  app.mount('/assets', new StaticFiles({ directory: join(site, 'assets'), maxAge: 31_536_000, immutable: true }));
  app.mount('/short', new StaticFiles({ directory: site, maxAge: 60 }));
  app.mount('/forever', new StaticFiles({ directory: join(site, 'assets'), immutable: true }));
  let server: Awaited<ReturnType<typeof serve>>;
  const get = (path: string, headers: Record<string, string> = {}) => requestBytes(server.url, { path, headers });

  beforeAll(async () => {
    server = await serve(app);
  });
  afterAll(() => server.close());

  it('refuses dotfiles and dot-directories with 404 by default, encoded or not', async () => {
    for (const path of ['/files/.env', '/files/.git/config', '/files/assets/.hidden/x.txt', '/files/%2eenv', '/files/.git/', '/html/.env']) {
      const res = await get(path);
      expect({ path, status: res.status, leaked: res.body.includes('SECRET') || res.body.includes('[core]') }).toEqual({ path, status: 404, leaked: false });
    }
  });

  it("answers dotfiles with 403 under dotfiles: 'deny' and serves them under dotfiles: 'allow'", async () => {
    expect((await get('/deny/.env')).status).toBe(403);
    expect((await get('/deny/hello.txt')).status).toBe(200);
    const allowed = await get('/allow/.git/config');
    expect(allowed.status).toBe(200);
    expect(allowed.body.toString()).toBe('[core]');
  });

  it('answers a file asked for with a trailing slash or as a directory with 404 (starlette: tests/test_staticfiles.py::test_staticfiles_access_file_as_dir_returns_404)', async () => {
    expect((await get('/files/hello.txt/')).status).toBe(404);
    expect((await get('/files/hello.txt/foo')).status).toBe(404);
    expect((await get('/files/hello.txt')).status).toBe(200);
  });

  it('serves index.html for a directory and redirects the path without its slash, in HTML mode (starlette: tests/test_staticfiles.py::test_staticfiles_html_normal)', async () => {
    const index = await get('/html/dir/');
    expect(index.status).toBe(200);
    expect(index.body.toString()).toBe('<h1>Hello</h1>');
    const redirect = await get('/html/dir');
    expect(redirect.status).toBe(307);
    expect(new URL(redirect.headers.location as string).pathname).toBe('/html/dir/');
    expect((await get('/html/dir/index.html')).body.toString()).toBe('<h1>Hello</h1>');
    const missing = await get('/html/missing');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(missing.body.toString()).toBe('<h1>Custom not found page</h1>');
  });

  it('answers a directory without index.html with the 404 page in HTML mode (starlette: tests/test_staticfiles.py::test_staticfiles_html_without_index)', async () => {
    for (const path of ['/html/empty/', '/html/empty']) {
      const res = await get(path);
      expect({ path, status: res.status, body: res.body.toString() }).toEqual({ path, status: 404, body: '<h1>Custom not found page</h1>' });
    }
  });

  it('answers a plain 404 in HTML mode when there is no 404.html (starlette: tests/test_staticfiles.py::test_staticfiles_html_without_404)', async () => {
    expect((await get('/bare/dir')).status).toBe(307);
    const missing = await get('/bare/missing');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body.toString())).toEqual({ detail: 'Not Found' });
  });

  it('does not serve directories outside HTML mode (starlette: tests/test_staticfiles.py::test_staticfiles_with_directory_returns_404)', async () => {
    expect((await get('/files/dir/')).status).toBe(404);
    expect((await get('/files/dir')).status).toBe(404);
  });

  it('sets cache-control from maxAge and immutable, on the 200 and on its 304', async () => {
    const asset = await get('/assets/app.3f2a1c.js');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const revalidated = await get('/assets/app.3f2a1c.js', { 'if-none-match': asset.headers.etag as string });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/short/hello.txt')).headers['cache-control']).toBe('public, max-age=60');
    expect((await get('/forever/app.3f2a1c.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/files/hello.txt')).headers['cache-control']).toBeUndefined();
  });

  it('refuses a maxAge that is not a whole number of seconds', () => {
    expect(() => new StaticFiles({ directory: site, maxAge: -1 })).toThrow(RangeError);
    expect(() => new StaticFiles({ directory: site, maxAge: 1.5 })).toThrow(/whole number of seconds/);
  });

  it('answers ranges and conditional requests on its files (304 with If-Modified-Since, 206 with Range)', async () => {
    const full = await get('/files/hello.txt');
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect((await get('/files/hello.txt', { 'if-modified-since': full.headers['last-modified'] as string })).status).toBe(304);
    const part = await get('/files/hello.txt', { range: 'bytes=1-3' });
    expect(part.status).toBe(206);
    expect(part.body.toString()).toBe('ell');
    expect(part.headers['content-range']).toBe('bytes 1-3/5');
  });

  it('answers If-None-Match with a mismatching ETag with 200 even when the date matches (starlette: tests/test_staticfiles.py::test_staticfiles_200_with_etag_mismatch_and_timestamp_match)', async () => {
    const full = await get('/files/hello.txt');
    const res = await get('/files/hello.txt', { 'if-none-match': '"123"', 'if-modified-since': full.headers['last-modified'] as string });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello');
  });

  it('answers a file name too long for the file system with 404 (starlette: tests/test_staticfiles.py::test_staticfiles_filename_too_long)', async () => {
    expect((await get(`/files/${'a'.repeat(5000)}.txt`)).status).toBe(404);
  });
});
