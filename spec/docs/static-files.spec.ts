import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { app as downloadApp } from '../../docs/examples/static-files/download';
import { app as notesApp } from '../../docs/examples/static-files/notes';
import { app as siteApp } from '../../docs/examples/static-files/site';
import { requestBytes, serve } from '../helpers';

const examples = join(__dirname, '..', '..', 'docs', 'examples', 'static-files');

describe('docs/advanced/static-files.md', () => {
  it('site.ts: index pages, the 404 page, no dotfiles, year-long caching of assets, weak ETags once compressed', async () => {
    const server = await serve(siteApp);
    try {
      const get = (path: string, headers: Record<string, string> = {}) => requestBytes(server.url, { path, headers });
      const home = await get('/');
      expect(home.status).toBe(200);
      expect(home.body.toString()).toContain('<h1>Welcome</h1>');
      expect((await get('/docs')).headers.location).toBe(`${server.url}/docs/`);
      expect((await get('/docs/')).body.toString()).toContain('<h1>Docs</h1>');
      const missing = await get('/nowhere');
      expect(missing.status).toBe(404);
      expect(missing.body.toString()).toContain('<h1>Nothing here</h1>');
      const env = await get('/.env');
      expect(env.status).toBe(404);
      expect(env.body.toString()).not.toContain('do-not-serve');
      expect((await get('/index.html/')).status).toBe(404);

      const asset = await get('/assets/app.3f2a1c.js');
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const etag = asset.headers.etag as string;
      expect(etag).toMatch(/^"/);
      const again = await get('/assets/app.3f2a1c.js', { 'if-none-match': etag });
      expect(again.status).toBe(304);
      expect(again.headers['cache-control']).toBe('public, max-age=31536000, immutable');

      const compressed = await get('/assets/app.3f2a1c.js', { 'accept-encoding': 'gzip' });
      expect(compressed.headers['content-encoding']).toBe('gzip');
      expect(compressed.headers.etag).toBe(`W/${etag}`);
      expect(gunzipSync(compressed.body).toString()).toBe(readFileSync(join(examples, 'public', 'assets', 'app.3f2a1c.js'), 'utf8'));
    } finally {
      await server.close();
    }
  });

  it('download.ts: a download that resumes from where it stopped, and revalidates', async () => {
    const server = await serve(downloadApp);
    try {
      const file = readFileSync(join(examples, 'media', 'report.txt'));
      const first = await requestBytes(server.url, { path: '/report' });
      expect(first.headers['content-disposition']).toBe('attachment; filename="quarterly-report.txt"');
      const rest = await requestBytes(server.url, { path: '/report', headers: { range: 'bytes=30000-', 'if-range': first.headers.etag as string } });
      expect(rest.status).toBe(206);
      expect(rest.headers['content-range']).toBe(`bytes 30000-${file.byteLength - 1}/${file.byteLength}`);
      expect(Buffer.concat([first.body.subarray(0, 30000), rest.body]).equals(file)).toBe(true);
      expect((await requestBytes(server.url, { path: '/report', headers: { 'if-none-match': first.headers.etag as string } })).status).toBe(304);
    } finally {
      await server.close();
    }
  });

  it('notes.ts: a 304 for the current version, a 412 for an edit based on an older one', async () => {
    const server = await serve(notesApp);
    try {
      const read = await requestBytes(server.url, { path: '/notes/1' });
      expect(read.headers.etag).toBe('"v1"');
      expect((await requestBytes(server.url, { path: '/notes/1', headers: { 'if-none-match': '"v1"' } })).status).toBe(304);
      const put = (etag: string) =>
        fetch(`${server.url}/notes/1`, { method: 'PUT', headers: { 'if-match': etag, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'second draft' }) });
      const saved = await put('"v1"');
      expect(saved.status).toBe(200);
      expect(saved.headers.get('etag')).toBe('"v2"');
      const stale = await put('"v1"');
      expect(stale.status).toBe(412);
      expect(await stale.json()).toEqual({ detail: 'Precondition Failed' });
      expect((await requestBytes(server.url, { path: '/notes/9' })).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
