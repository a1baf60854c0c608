// Koa with @koa/router: N middleware functions, each adding one header after next().
import { createServer } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { layers, serve } from './harness.mjs';

const n = layers();
const app = new Koa();
for (let i = 0; i < n; i++) {
  app.use(async (ctx, next) => {
    await next();
    ctx.set('x-mw-' + i, '1');
  });
}
const router = new Router();
router.get('/', (ctx) => {
  ctx.body = { message: 'hello' };
});
app.use(router.routes()).use(router.allowedMethods());

serve(createServer(app.callback()));
