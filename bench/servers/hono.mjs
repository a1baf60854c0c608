// Hono on @hono/node-server: N middleware functions, each adding one header after next().
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { announce, layers } from './harness.mjs';

const n = layers();
const app = new Hono();
for (let i = 0; i < n; i++) {
  app.use(async (c, next) => {
    await next();
    c.header('x-mw-' + i, '1');
  });
}
app.get('/', (c) => c.json({ message: 'hello' }));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  announce(info.port, () => server.close());
});
