import request from 'supertest';
import { app } from '../../docs/examples/showcase/app';
import { buffer, nextMessage, opened, serveWs, WsClient } from '../websockets/ws-client';

const SECONDS = /^\d+(\.\d+)?(e-\d+)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ORIGIN = 'http://localhost:3000';

describe('docs/examples/showcase/app.ts (what `npm start` serves)', () => {
  const client = () => request(app.callback());

  it('serves the tutorial routes with X-Process-Time, X-Request-ID and Server-Timing', async () => {
    const res = await client().get('/').expect(200).expect({ message: 'Hello World' });
    expect(res.headers['x-process-time']).toMatch(SECONDS);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.headers['server-timing']).toMatch(/^total;dur=[0-9.]+$/);
    await client().get('/items/0').expect(404).expect({ detail: 'Item not found' });
  });

  it('echoes a sane X-Request-ID and shows it to the endpoint', async () => {
    const res = await client().get('/items/5').set('X-Request-ID', 'demo-42').expect(200);
    expect(res.headers['x-request-id']).toBe('demo-42');
    expect(res.body).toEqual({ itemId: 5, requestId: 'demo-42' });
  });

  it('answers CORS for http://localhost:3000 with credentials and the exposed headers', async () => {
    const res = await client().get('/').set('Origin', ORIGIN).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-expose-headers']).toBe('X-Process-Time, X-Request-ID, Server-Timing');

    const preflight = await client()
      .options('/session')
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .expect(200)
      .expect('OK');
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, POST');

    const other = await client().get('/').set('Origin', 'https://elsewhere.example').expect(200);
    expect(other.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('compresses the large JSON route with gzip, and leaves the small ones alone', async () => {
    // supertest decompresses the body; content-length is still the compressed size.
    const res = await client().get('/large').set('Accept-Encoding', 'gzip').expect(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['vary']).toContain('Accept-Encoding');
    expect(res.body.count).toBe(500);
    expect(Number(res.headers['content-length'])).toBeLessThan(JSON.stringify(res.body).length / 5);
    expect(res.headers['server-timing']).toMatch(/^db;dur=[0-9.]+;desc="Load items", total;dur=[0-9.]+$/);

    const small = await client().get('/').set('Accept-Encoding', 'gzip').expect(200);
    expect(small.headers).not.toHaveProperty('content-encoding');
  });

  it('counts visits in a signed session cookie', async () => {
    const agent = request.agent(app.callback());
    const first = await agent.get('/session').expect(200).expect({ visits: 1 });
    const cookie: string = first.headers['set-cookie'][0];
    expect(cookie).toMatch(/^session=[A-Za-z0-9+/=]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; path=\/; Max-Age=1209600; httponly; samesite=lax$/);
    await agent.get('/session').expect(200).expect({ visits: 2 });
    await agent.get('/session').expect(200).expect({ visits: 3 });
    await client().get('/session').expect({ visits: 1 });
  });

  it('accepts only localhost and 127.0.0.1 as Host', async () => {
    await client().get('/').set('Host', 'localhost:8000').expect(200);
    await client().get('/').set('Host', '127.0.0.1').expect(200);
    const res = await client().get('/').set('Host', 'evil.example').expect(400).expect('Invalid host header');
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('does not redirect plain http to https', async () => {
    await client().get('/').expect(200);
  });

  it('sets helmet\'s security headers with a nonce per request, and runs only the nonce script', async () => {
    const res = await client().get('/page').expect(200);
    const nonce = /nonce="([^"]+)"/.exec(res.text)![1];
    expect(res.headers['content-security-policy']).toContain(`script-src 'self' 'nonce-${nonce}'`);
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect((await client().get('/').expect(200)).headers['cross-origin-opener-policy']).toBe('same-origin');
  });

  it('refuses a cross-site POST with 403, and lets its own origin and the CORS frontend post', async () => {
    const refused = await client().post('/session/reset').set('Origin', 'https://evil.example').set('Sec-Fetch-Site', 'cross-site').expect(403);
    expect(refused.text).toBe('CSRF check failed: the request is cross-site (Sec-Fetch-Site) and its origin https://evil.example is not allowed');
    await client().post('/session/reset').set('Host', '127.0.0.1:8000').set('Origin', 'http://127.0.0.1:8000').expect(200).expect({ visits: 0 });
    await client().post('/session/reset').set('Origin', ORIGIN).set('Sec-Fetch-Site', 'same-site').expect(200);
  });

  it('echoes over a websocket whose 101 went through the stack (X-Request-ID on it), and refuses a foreign Host', async () => {
    const served = await serveWs(app);
    try {
      const ws = new WsClient(`${served.url}/ws/echo`, { headers: { 'x-request-id': 'ws-demo-1' } });
      served.clients.add(ws);
      buffer(ws);
      const upgrade = new Promise<Record<string, unknown>>((resolve) => ws.once('upgrade', (res) => resolve({ ...res.headers })));
      await opened(ws);
      expect(await upgrade).toMatchObject({ 'x-request-id': 'ws-demo-1' });
      expect((await upgrade)['x-process-time']).toMatch(SECONDS);
      ws.send('ping');
      expect(await nextMessage(ws)).toBe('ping');
      ws.send(Buffer.from([1, 2, 3]));
      expect([...((await nextMessage(ws)) as Buffer)]).toEqual([1, 2, 3]);
      expect((await served.refused('/ws/echo', { headers: { host: 'evil.test' } })).status).toBe(400);
    } finally {
      await served.close();
    }
  });
});

