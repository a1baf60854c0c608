import request from 'supertest';
import { app as rootPathApp } from '../../docs/examples/deployment/root-path';
import { start } from '../../docs/examples/deployment/signals';

describe('docs/deployment.md', () => {
  it('signals.ts: app.listen() adds no signal handler; the two lines it shows close the server gracefully on SIGTERM', async () => {
    const before = process.listenerCount('SIGTERM');
    const server = await start(0);
    try {
      expect(process.listenerCount('SIGTERM')).toBe(before + 1);
      const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
      process.emit('SIGTERM', 'SIGTERM');
      await closed;
      expect(server.listening).toBe(false);
    } finally {
      process.removeAllListeners('SIGINT');
      if (server.listening) server.close();
    }
  });

  it('root-path.ts: behind a proxy that strips /api, paths, URLs, urlFor and redirects carry /api', async () => {
    const client = request(rootPathApp.callback());
    await client
      .get('/items/7')
      .set('host', 'example.com')
      .expect(200, { path: '/api/items/7', url: 'http://example.com/api/items/7', self: 'http://example.com/api/items/7' });
    const redirect = await client.get('/docs').set('host', 'example.com').expect(307);
    expect(redirect.headers.location).toBe('http://example.com/api/docs/');
  });
});
