// Koa with @koa/router and the routing benchmark's table (--table=kind:count).
import { createServer } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { serve } from './harness.mjs';
import { colonSyntax, tableOption } from './route-tables.mjs';

const app = new Koa();
const router = new Router();
for (const template of tableOption().templates) {
  router.get(colonSyntax(template), (ctx) => {
    ctx.body = { ok: true };
  });
}
app.use(router.routes()).use(router.allowedMethods());
serve(createServer(app.callback()));
