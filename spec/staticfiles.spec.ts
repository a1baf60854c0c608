import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { Application, StaticFiles } from 'stackware';
import { serve } from './helpers';

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
