import { rawExchange, requestBytes, serve, within } from '../helpers';
import { app as step1 } from '../../docs/examples/migrating-from-express/step-1-mount';
import { app as step2, log } from '../../docs/examples/migrating-from-express/step-2-middleware';
import { app as step3 } from '../../docs/examples/migrating-from-express/step-3-routes';
import { app as guarded } from '../../docs/examples/migrating-from-express/guard';
import type { Application } from 'stackware';

async function withServer(app: Application, body: (url: string) => Promise<void>): Promise<void> {
  const server = await serve(app);
  try {
    await body(server.url);
  } finally {
    await server.close();
  }
}

const get = (url: string, path: string, headers: Record<string, string> = {}) => within(requestBytes(url, { path, headers }), 5000, path);
const json = (response: { body: Buffer }): unknown => JSON.parse(response.body.toString());

describe('docs/migrating-from-express.md', () => {
  it('step 1: the Express app answers behind stackware, new routes first, request id and CORS on its answers', async () => {
    await withServer(step1, async (url) => {
      expect(json(await get(url, '/health'))).toEqual({ ok: true });
      const user = await get(url, '/users/7', { origin: 'https://shop.example' });
      expect(json(user)).toEqual({ id: 7, from: 'express' });
      expect(user.headers['x-request-id']).toMatch(/.+/);
      expect(user.headers['access-control-allow-origin']).toBe('https://shop.example');
      const missing = await get(url, '/nope');
      expect(missing.status).toBe(404);
      expect(json(missing)).toEqual({ error: 'no such page' });
      const failed = await get(url, '/reports/xx');
      expect(failed.status).toBe(500);
      expect(json(failed)).toEqual({ error: 'bad year' });
    });
  });

  it('step 2: helmet, morgan and express-session wrap old and new routes', async () => {
    await withServer(step2, async (url) => {
      const first = await get(url, '/whoami');
      expect(json(first)).toEqual({ visits: 1 });
      const cookie = String(first.headers['set-cookie']?.[0]).split(';')[0];
      expect(json(await get(url, '/whoami', { cookie }))).toEqual({ visits: 2 });
      const legacy = await get(url, '/users/3');
      expect(legacy.headers['x-content-type-options']).toBe('nosniff');
      expect(first.headers['content-security-policy']).toContain("default-src 'self'");
      await within(
        (async () => {
          while (!log.some((line) => line.startsWith('GET /users/3 200'))) await new Promise((resolve) => setTimeout(resolve, 5));
        })(),
        2000,
        'the morgan line',
      );
    });
  });

  it('step 3: moved routes answer from stackware, the rest from Express', async () => {
    await withServer(step3, async (url) => {
      expect(json(await get(url, '/users/7'))).toEqual({ id: 7, from: 'stackware' });
      expect((await get(url, '/users/2000')).status).toBe(404);
      const order = await within(
        fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"a1"}' }),
        5000,
        'POST /orders',
      );
      expect(order.status).toBe(201);
      expect(await order.json()).toEqual({ ordered: { sku: 'a1' }, from: 'stackware' });
      expect(json(await get(url, '/reports/2025'))).toEqual({ year: '2025' });
    });
  });

  it('the /admin guard holds for /%61dmin, /admin/ and //admin', async () => {
    await withServer(guarded, async (url) => {
      for (const path of ['/admin', '/%61dmin/x', '/admin/', '//admin']) {
        const answer = await rawExchange(url, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 3000);
        expect(answer).toMatch(/^HTTP\/1\.1 403 /);
      }
      expect((await get(url, '/users/1')).status).toBe(200);
    });
  });
});
