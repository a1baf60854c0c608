import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { app as reporterApp, reported } from '../../docs/examples/production/error-reporter';
import { app, type Pool } from '../../docs/examples/production/lifespan';
import { app as hardened } from '../../docs/examples/production/hardening';
import { serve } from '../helpers';

describe('docs/production.md', () => {
  it('lifespan: the pool is open while serving and closed once the server has closed', async () => {
    const server = await app.listen(0);
    const pool = app.lifespanState?.pool as Pool;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    expect(await (await fetch(url)).json()).toEqual({ database: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(pool.open).toBe(false);
  });

  it('error-reporter: the 500 handler reports an endpoint error and a background task error after the response', async () => {
    reported.length = 0;
    const client = request(reporterApp.callback());
    await client.post('/signup').expect(200, { created: true });
    await client.get('/broken').expect(500, 'Internal Server Error');
    const deadline = Date.now() + 2000;
    while (reported.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(reported.sort()).toEqual(['GET /broken: a bug', 'POST /signup: mail server down']);
  });
});

describe('docs/production.md: hardening', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(hardened);
  });
  afterAll(() => server.close());

  const post = (path: string, contentType: string, body: string): Promise<globalThis.Response> =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('answers 400 to a __proto__ key and drops a constructor.prototype key', async () => {
    const poisoned = await post('/profile', 'application/json', '{"__proto__":{"isAdmin":true}}');
    expect(poisoned.status).toBe(400);
    const dropped = await post('/profile', 'application/json', '{"name":"ada","constructor":{"prototype":{"isAdmin":true}}}');
    expect(await dropped.json()).toEqual({ name: 'ada' });
  });

  it('answers 400 past 20 fields or a 64-byte field name', async () => {
    expect(await (await post('/search', 'application/x-www-form-urlencoded', 'q=a&q=b')).json()).toEqual({ terms: ['a', 'b'] });
    expect((await post('/search', 'application/x-www-form-urlencoded', Array(21).fill('q=a').join('&'))).status).toBe(400);
    expect((await post('/search', 'application/x-www-form-urlencoded', `${'q'.repeat(65)}=a`)).status).toBe(400);
  });

  it('streams the report, and carries the settings it shows', async () => {
    expect(await (await fetch(`${server.url}/report`)).text()).toBe('row 1\nrow 2\nrow 3\n');
    expect([hardened.sendTimeout, hardened.lingeringTimeout, hardened.lingeringMaxBytes]).toEqual([30, 5, 16 * 1024 * 1024]);
  });
});
