import request from 'supertest';
import { Application, HTTPException, Request } from 'stackware';
import { fakeSource } from './helpers';

describe('Request', () => {
  it('exposes method, url, headers, query parameters, cookies and client', async () => {
    const app = new Application();
    app.get('/info', (r) => ({
      method: r.method,
      url: r.url.href,
      path: r.url.pathname,
      agent: r.headers.get('X-Agent'),
      q: r.queryParams.getAll('q'),
      cookies: r.cookies,
      clientHost: r.client?.host,
    }));
    const res = await request(app.callback())
      .get('/info?q=1&q=two')
      .set('X-Agent', 'test')
      .set('Cookie', 'a=1; b="quoted"; c=hello%20world')
      .expect(200);
    expect(res.body).toMatchObject({
      method: 'GET',
      path: '/info',
      agent: 'test',
      q: ['1', 'two'],
      cookies: { a: '1', b: 'quoted', c: 'hello world' },
      clientHost: '127.0.0.1',
    });
    expect(res.body.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/info\?q=1&q=two$/);
  });

  it('reads a cookie header with garbage leniently: the valid cookies are kept', () => {
    const req = new Request(fakeSource({ headers: { cookie: 'good=1; ;; =; bad=%E0%A4%A; noequals; last=2' } }));
    expect(req.cookies).toMatchObject({ good: '1', bad: '%E0%A4%A', last: '2' });
  });

  it('reads cookies named __proto__, constructor and toString as data, and inherits nothing', () => {
    const req = new Request(fakeSource({ headers: { cookie: '__proto__=p; constructor=c; toString=t; toString=second' } }));
    const cookies = req.cookies;
    expect(Object.keys(cookies)).toEqual(['__proto__', 'constructor', 'toString']);
    expect([cookies['__proto__'], cookies.constructor, cookies.toString]).toEqual(['p', 'c', 't']);
    const none = new Request(fakeSource({ headers: { cookie: 'a=1' } })).cookies;
    expect([none.constructor, none.toString, none.hasOwnProperty, none['__proto__']]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('never throws on a garbage Host header when building the URL', () => {
    const req = new Request(fakeSource({ headers: { host: 'exa mple/\\com' }, target: '/p?x=1' }));
    expect(req.url.pathname).toBe('/p');
    expect(req.url.searchParams.get('x')).toBe('1');
  });

  it('does not let a target starting with // change the host of the URL', () => {
    const req = new Request(fakeSource({ target: '//evil.com/path' }));
    expect(req.url.host).toBe('example.com');
    expect(req.path).toBe('//evil.com/path');
  });

  it('lets a body read in a middleware be read again by the endpoint', async () => {
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      req.state.seen = await req.json();
      return callNext(req);
    });
    app.post('/', async (req) => ({ again: await req.json(), text: await req.text(), seen: req.state.seen }));
    await request(app.callback())
      .post('/')
      .send({ hello: 'world' })
      .expect({ again: { hello: 'world' }, text: '{"hello":"world"}', seen: { hello: 'world' } });
  });

  it('gives body() as bytes and stream() as chunks', async () => {
    const req = new Request(fakeSource({ body: ['ab', 'cd'] }));
    const chunks: string[] = [];
    for await (const chunk of req.stream()) chunks.push(Buffer.from(chunk).toString());
    expect(chunks).toEqual(['ab', 'cd']);
    await expect(req.body()).rejects.toThrow(/already consumed/);
  });

  it('yields the cached bytes from stream() after the body was read whole', async () => {
    const req = new Request(fakeSource({ body: ['ab', 'cd'] }));
    expect(Buffer.from(await req.body()).toString()).toBe('abcd');
    const chunks: string[] = [];
    for await (const chunk of req.stream()) chunks.push(Buffer.from(chunk).toString());
    expect(chunks).toEqual(['abcd']);
  });

  it('throws HTTPException(400) saying the JSON is invalid for a malformed JSON body', async () => {
    const req = new Request(fakeSource({ body: ['{"a":'] }));
    const error = await req.json().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPException);
    expect((error as HTTPException).statusCode).toBe(400);
    expect((error as HTTPException).detail).toMatch(/^Invalid JSON body/);
  });

  it('answers a malformed JSON body with 400 and a detail over HTTP', async () => {
    const app = new Application();
    app.post('/', async (req) => req.json());
    const res = await request(app.callback()).post('/').set('content-type', 'application/json').send('{nope').expect(400);
    expect(res.body.detail).toMatch(/Invalid JSON body/);
  });

  it('refuses a body larger than maxBodySize with 413, by Content-Length or while reading', async () => {
    const app = new Application({ maxBodySize: 10 });
    app.post('/', async (req) => ({ size: (await req.body()).byteLength }));
    const client = request(app.callback());
    await client.post('/').send('0123456789').expect({ size: 10 });
    const res = await client.post('/').send('0123456789A').expect(413);
    expect(res.body.detail).toMatch(/larger than 10 bytes/);
    const chunked = new Request(fakeSource({ body: ['012345', '6789AB'] }), { maxBodySize: 10, handle: async () => { throw new Error('unused'); } });
    await expect(chunked.body()).rejects.toMatchObject({ statusCode: 413 });
  });

  it('keeps one state object per request', () => {
    const a = new Request(fakeSource());
    const b = new Request(fakeSource());
    (a.state as Record<string, unknown>).x = 1;
    expect(a.state).toBe(a.state);
    expect(b.state).toEqual({});
  });

  it('aborts request.signal when the client disconnects', () => {
    let disconnect: () => void = () => undefined;
    const req = new Request({ ...fakeSource(), onDisconnect: (listener) => (disconnect = listener) });
    const signal = req.signal;
    expect(signal.aborted).toBe(false);
    disconnect();
    expect(signal.aborted).toBe(true);
  });

  it('answers a malformed percent-encoding in the query string with 400', async () => {
    const app = new Application();
    app.get('/', (req) => Object.fromEntries(req.queryParams));
    const client = request(app.callback());
    await client.get('/?a=%41%42&b=x+y').expect({ a: 'AB', b: 'x y' });
    const res = await client.get('/?a=%E0%A4%A').expect(400);
    expect(res.body.detail).toMatch(/query string/);
    await client.get('/?a=%zz').expect(400);
  });

  it('lets a route raise or lower the body size limit', async () => {
    const app = new Application({ maxBodySize: 10 });
    app.post('/small', async (req) => (await req.body()).byteLength);
    app.route('/large', async (req) => (await req.body()).byteLength, { methods: ['POST'], maxBodySize: 100 });
    const client = request(app.callback());
    await client.post('/small').send('x'.repeat(50)).expect(413);
    await client.post('/large').send('x'.repeat(50)).expect(200).expect('50');
    await client.post('/large').send('x'.repeat(101)).expect(413);
  });

  it("reads a body under the application's limit when a middleware reads it before routing", async () => {
    const app = new Application({ maxBodySize: 10 });
    app.middleware('http')(async (req, callNext) => {
      if (req.headers.get('x-read-early') === '1') await req.body();
      return callNext(req);
    });
    app.route('/large', async (req) => (await req.body()).byteLength, { methods: ['POST'], maxBodySize: 100 });
    const client = request(app.callback());
    await client.post('/large').send('x'.repeat(50)).expect(200).expect('50');
    await client.post('/large').set('x-read-early', '1').send('x'.repeat(50)).expect(413);
  });

  it('aborts request.signal with the reason given to abort(), once (used by TimeoutMiddleware)', () => {
    let disconnect: () => void = () => undefined;
    const req = new Request({ ...fakeSource(), onDisconnect: (listener) => (disconnect = listener) });
    const reason = new DOMException('too slow', 'TimeoutError');
    req.abort(reason);
    expect(req.signal.aborted).toBe(true);
    expect(req.signal.reason).toBe(reason);
    req.abort(new Error('second'));
    disconnect();
    expect(req.signal.reason).toBe(reason);
  });
});
