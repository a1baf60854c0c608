import type { AddressInfo } from 'node:net';
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
});
