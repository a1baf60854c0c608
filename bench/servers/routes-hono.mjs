// Hono (its default SmartRouter) on @hono/node-server with the routing benchmark's table (--table=kind:count).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { announce } from './harness.mjs';
import { colonSyntax, tableOption } from './route-tables.mjs';

const app = new Hono();
for (const template of tableOption().templates) app.get(colonSyntax(template), (c) => c.json({ ok: true }));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  announce(info.port, () => server.close());
});
