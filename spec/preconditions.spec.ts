import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, checkPreconditions, FileResponse } from 'stackware';
import { parseEntityTags, strongMatch, weakMatch } from '../lib/preconditions';
import { requestBytes, serve } from './helpers';

const MODIFIED = new Date('2026-01-02T03:04:05Z');

describe('conditional requests over a real socket', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'stackware-cond-')), 'page.html');
  writeFileSync(path, '<h1>hello</h1>');
  utimesSync(path, MODIFIED, MODIFIED);
  const note = { etag: '"v2"', lastModified: MODIFIED, text: 'current' };
  const app = new Application();
  app.get('/page', (request) => new FileResponse(path, { request, headers: { 'cache-control': 'public, max-age=60', vary: 'Accept-Language' } }));
  app.get('/note', (request) => checkPreconditions(request, note) ?? { text: note.text });
  app.put('/note', (request) => checkPreconditions(request, note) ?? { saved: true });
  let server: Awaited<ReturnType<typeof serve>>;
  let etag = '';
  const get = (headers: Record<string, string>, at = '/page', method = 'GET') => requestBytes(server.url, { path: at, headers, method });

  beforeAll(async () => {
    server = await serve(app);
    etag = (await get({})).headers.etag as string;
  });
  afterAll(() => server.close());

  it('answers If-None-Match with the current ETag with a bodiless 304 carrying ETag, Cache-Control, Last-Modified and Vary', async () => {
    const res = await get({ 'if-none-match': etag });
    expect(res.status).toBe(304);
    expect(res.body.byteLength).toBe(0);
    expect(res.headers.etag).toBe(etag);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    expect(res.headers['last-modified']).toBe(MODIFIED.toUTCString());
    expect(res.headers.vary).toBe('Accept-Language');
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();
  });

  it('matches If-None-Match lists, weak tags and * by weak comparison', async () => {
    for (const value of [`"other", ${etag}`, `W/${etag}`, `"a",W/"b" , W/${etag}`, '*']) {
      expect({ value, status: (await get({ 'if-none-match': value })).status }).toEqual({ value, status: 304 });
    }
    expect((await get({ 'if-none-match': '"other", W/"older"' })).status).toBe(200);
  });

  it('answers If-Modified-Since with 304 when not modified since, 200 when modified after', async () => {
    expect((await get({ 'if-modified-since': MODIFIED.toUTCString() })).status).toBe(304);
    expect((await get({ 'if-modified-since': new Date(MODIFIED.getTime() + 3600_000).toUTCString() })).status).toBe(304);
    const older = await get({ 'if-modified-since': new Date(MODIFIED.getTime() - 1000).toUTCString() });
    expect(older.status).toBe(200);
    expect(older.body.toString()).toBe('<h1>hello</h1>');
  });

  it('ignores If-Modified-Since when If-None-Match is present, and ignores dates it cannot read or that lie in the future', async () => {
    expect((await get({ 'if-none-match': '"other"', 'if-modified-since': MODIFIED.toUTCString() })).status).toBe(200);
    expect((await get({ 'if-modified-since': 'yesterday, around noon' })).status).toBe(200);
    expect((await get({ 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() })).status).toBe(200);
  });

  it('answers If-Match that names another version with 412, and the current version with 200', async () => {
    expect((await get({ 'if-match': '"older"' })).status).toBe(412);
    expect((await get({ 'if-match': `W/${etag}` })).status).toBe(412);
    expect((await get({ 'if-match': etag })).status).toBe(200);
    expect((await get({ 'if-match': '*' })).status).toBe(200);
  });

  it('lets a route opt in: a PUT with a stale If-Match or If-Unmodified-Since gets 412, the current one goes through', async () => {
    const put = (headers: Record<string, string>) => get(headers, '/note', 'PUT');
    const stale = await put({ 'if-match': '"v1"' });
    expect(stale.status).toBe(412);
    expect(JSON.parse(stale.body.toString())).toEqual({ detail: 'Precondition Failed' });
    expect((await put({ 'if-unmodified-since': new Date(MODIFIED.getTime() - 60_000).toUTCString() })).status).toBe(412);
    expect((await put({ 'if-none-match': '*' })).status).toBe(412);
    expect(JSON.parse((await put({ 'if-match': '"v2"' })).body.toString())).toEqual({ saved: true });
    expect((await put({ 'if-unmodified-since': MODIFIED.toUTCString() })).status).toBe(200);
    expect((await put({})).status).toBe(200);
  });

  it('gives an opted-in GET route a 304 with its validators', async () => {
    const res = await get({ 'if-none-match': '"v2"' }, '/note');
    expect(res.status).toBe(304);
    expect(res.headers.etag).toBe('"v2"');
    expect(res.headers['last-modified']).toBe(MODIFIED.toUTCString());
    expect(res.body.byteLength).toBe(0);
  });
});

describe('entity tags', () => {
  it('reads a list of tags, weak ones and * included, skipping what is not a tag', () => {
    expect(parseEntityTags('"a", W/"b",junk, *')).toEqual(['"a"', 'W/"b"', '*']);
  });

  it('compares weakly ignoring W/, strongly only between equal strong tags (RFC 9110 §8.8.3.2)', () => {
    expect(weakMatch('W/"1"', '"1"')).toBe(true);
    expect(weakMatch('"1"', '"2"')).toBe(false);
    expect(strongMatch('"1"', '"1"')).toBe(true);
    expect(strongMatch('W/"1"', 'W/"1"')).toBe(false);
  });
});
