import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import {
  Application,
  FileResponse,
  HTMLResponse,
  JSONResponse,
  PlainTextResponse,
  RedirectResponse,
  Response,
  StreamingResponse,
} from 'stackware';

describe('responses', () => {
  it('sets content-length and a content-type with charset for text', () => {
    const text = new PlainTextResponse('héllo');
    expect(text.headers.get('content-length')).toBe('6');
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(new HTMLResponse('<p>').headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(new JSONResponse({ a: 1 }).headers.get('content-type')).toBe('application/json');
    expect(new Response('x', { mediaType: 'text/csv' }).headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(new Response(null, { statusCode: 204 }).headers.has('content-length')).toBe(false);
  });

  it('refuses a media type that would make an invalid content-type, every time it is given', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => new Response('x', { mediaType: 'text/plain\r\nx-evil: 1' })).toThrow(/CR, LF and NUL/);
    }
    expect(new Response('x', { mediaType: 'text/plain', headers: { 'content-type': 'text/x-mine' } }).headers.getAll('content-type')).toEqual([
      'text/x-mine',
    ]);
  });

  it('serializes JSON compactly, as FastAPI does', async () => {
    const res = new JSONResponse({ a: [1, 'b'], c: null });
    expect(await res.text()).toBe('{"a":[1,"b"],"c":null}');
  });

  it('takes status, headers and media type from init', async () => {
    const app = new Application();
    app.get('/', () => new Response('body', { statusCode: 202, headers: { 'x-one': '1' }, mediaType: 'text/plain' }));
    await request(app.callback()).get('/').expect(202).expect('x-one', '1').expect('content-type', 'text/plain; charset=utf-8').expect('body');
  });

  it('redirects with 307 by default, percent-encoding unsafe characters', () => {
    const res = new RedirectResponse('/a b?x=ü');
    expect(res.statusCode).toBe(307);
    expect(res.headers.get('location')).toBe('/a%20b?x=%C3%BC');
    expect(new RedirectResponse('/x', 301).statusCode).toBe(301);
  });

  it('refuses a redirect URL containing CR or LF', () => {
    expect(() => new RedirectResponse('/x\r\nSet-Cookie: a=1')).toThrow(/CR, LF or NUL/);
  });

  it('sets and deletes cookies, several set-cookie headers kept apart', async () => {
    const app = new Application();
    app.get('/', () => {
      const res = new PlainTextResponse('ok');
      res.setCookie('a', '1', { httpOnly: true, maxAge: 60, secure: true });
      res.setCookie('b', 'two words', { sameSite: 'strict', path: '/p', domain: 'example.com' });
      res.deleteCookie('c');
      return res;
    });
    const res = await request(app.callback()).get('/').expect(200);
    expect(res.headers['set-cookie']).toEqual([
      'a=1; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=lax',
      'b=two%20words; Path=/p; Domain=example.com; SameSite=strict',
      'c=; Max-Age=0; expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; SameSite=lax',
    ]);
  });

  it('streams a StreamingResponse from an async generator, a sync iterable or a Readable', async () => {
    const app = new Application();
    app.get('/async', () =>
      new StreamingResponse(
        (async function* () {
          yield 'a';
          yield Buffer.from('b');
        })(),
        { mediaType: 'text/plain' },
      ),
    );
    app.get('/sync', () => new StreamingResponse(['x', 'y', 'z']));
    app.get('/readable', () => new StreamingResponse(Readable.from(['r1', 'r2'])));
    const client = request(app.callback());
    const res = await client.get('/async').expect(200).expect('ab');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    await client.get('/sync').buffer(true).parse((r, cb) => {
      let data = '';
      r.on('data', (c: Buffer) => (data += c.toString()));
      r.on('end', () => cb(null, data));
    }).expect((r) => expect(r.body).toBe('xyz'));
    await client.get('/readable').buffer(true).parse((r, cb) => {
      let data = '';
      r.on('data', (c: Buffer) => (data += c.toString()));
      r.on('end', () => cb(null, data));
    }).expect((r) => expect(r.body).toBe('r1r2'));
  });

  it('reads the whole body of a response with bytes() and text(), streaming ones included', async () => {
    const streaming = new StreamingResponse(['a', 'b']);
    expect(await streaming.text()).toBe('ab');
    expect(streaming.bodyIterator).toBeNull();
    expect(await new PlainTextResponse('fixed').text()).toBe('fixed');
  });

  it('replaces a fixed body with setBody and updates content-length', () => {
    const res = new PlainTextResponse('short');
    res.setBody('a longer body');
    expect(res.headers.get('content-length')).toBe('13');
  });

  it('serves a file with content-length, media type, etag and last-modified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackware-'));
    const file = join(dir, 'hello.txt');
    writeFileSync(file, 'hello file');
    const app = new Application();
    app.get('/file', () => new FileResponse(file));
    app.get('/download', () => new FileResponse(file, { filename: 'greeting.txt' }));
    const client = request(app.callback());
    const res = await client.get('/file').expect(200).expect('content-type', 'text/plain; charset=utf-8').expect('content-length', '10');
    expect(res.text).toBe('hello file');
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(res.headers['last-modified']).toBeDefined();
    await client.get('/download').expect('content-disposition', 'attachment; filename="greeting.txt"');
    const head = await client.head('/file').expect(200).expect('content-length', '10');
    expect(head.text).toBeUndefined();
  });

  it('refuses to build a FileResponse for a missing file', () => {
    expect(() => new FileResponse('/definitely/not/here.txt')).toThrow(/ENOENT/);
  });
});

describe('Response fixed bodies', () => {
  it('keeps rendered text until the bytes are asked for, with content-length counted in bytes', async () => {
    const response = new JSONResponse({ word: 'héllo ☃' });
    const expected = JSON.stringify({ word: 'héllo ☃' });
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(expected)));
    expect(response.bodyText).toBe(expected);
    expect(await response.text()).toBe(expected);
    expect(Buffer.from(response.body).toString('utf8')).toBe(expected);
    expect(response.bodyText).toBeNull();
    response.setBody('ünïcode');
    expect(response.headers.get('content-length')).toBe('9');
    expect(Buffer.from(response.body).toString('utf8')).toBe('ünïcode');
  });
});
