import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { app as reporterApp, reported } from '../../docs/examples/production/error-reporter';
import { app, type Pool } from '../../docs/examples/production/lifespan';

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
