// The dispatch cases of the in-process benchmarks, shared by micro.mjs (timed with mitata) and
// micro-count.mjs (run K times under perf stat): stackware's app.handle(request) (a Request over a
// tiny fake RequestSource) against koa-compose and Hono's app.request. Two variants: "pass" layers
// only await the next one; "header" layers also set one response header after it, as in the HTTP
// benchmark. CASES[name](n, variant) returns { run, check }: run() dispatches one request, check
// validates its result.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { Hono } from 'hono';
import compose from 'koa-compose';
import { stackware } from './servers/harness.mjs';

const { Application, BaseHTTPMiddleware, Headers, Request } = stackware();

/** The smallest RequestSource: GET / with no headers and no body. */
class FakeSource {
  method = 'GET';
  target = '/';
  scheme = 'http';
  headers() {
    return new Headers();
  }
  client() {
    return null;
  }
  async *body() {}
  onDisconnect() {}
}

class PassThrough extends BaseHTTPMiddleware {
  async dispatch(request, callNext) {
    return await callNext(request);
  }
}

class AddHeader extends BaseHTTPMiddleware {
  async dispatch(request, callNext) {
    const r = await callNext(request);
    r.headers.set('x-mw-' + this.options.i, '1');
    return r;
  }
}

function stackwareCase(style) {
  return (n, variant) => {
    const app = new Application();
    for (let i = 0; i < n; i++) {
      if (style === 'class') {
        app.addMiddleware(variant === 'header' ? AddHeader : PassThrough, { i });
      } else if (variant === 'header') {
        app.middleware('http')(async (request, callNext) => {
          const r = await callNext(request);
          r.headers.set('x-mw-' + i, '1');
          return r;
        });
      } else {
        app.middleware('http')(async (request, callNext) => await callNext(request));
      }
    }
    app.get('/', () => ({ message: 'hello' }));
    return {
      run: () => app.handle(new Request(new FakeSource())),
      check: (r) => r.statusCode === 200 && headersOk(n, variant, (name) => r.headers.get(name)),
    };
  };
}

/**
 * A minimal Koa-like context. ctx.set checks the name and value with node:http's own validators
 * and stores the header lower-cased: what Koa's ctx.set costs (it calls res.setHeader), without
 * a socket.
 */
class Ctx {
  body = undefined;
  status = 404;
  headers = {};
  set(name, value) {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    this.headers[name.toLowerCase()] = value;
  }
}

function koaComposeCase(n, variant) {
  const stack = [];
  for (let i = 0; i < n; i++) {
    stack.push(
      variant === 'header'
        ? async (ctx, next) => {
            await next();
            ctx.set('x-mw-' + i, '1');
          }
        : async (ctx, next) => {
            await next();
          },
    );
  }
  stack.push((ctx) => {
    ctx.status = 200;
    ctx.body = { message: 'hello' };
  });
  const fn = compose(stack);
  return {
    run: () => {
      const ctx = new Ctx();
      return fn(ctx).then(() => ctx);
    },
    check: (ctx) => ctx.status === 200 && headersOk(n, variant, (name) => ctx.headers[name] ?? null),
  };
}

function honoCase(n, variant) {
  const app = new Hono();
  for (let i = 0; i < n; i++) {
    app.use(
      variant === 'header'
        ? async (c, next) => {
            await next();
            c.header('x-mw-' + i, '1');
          }
        : async (c, next) => {
            await next();
          },
    );
  }
  app.get('/', (c) => c.json({ message: 'hello' }));
  return {
    run: () => app.request('/'),
    check: (r) => r.status === 200 && headersOk(n, variant, (name) => r.headers.get(name)),
  };
}

function headersOk(n, variant, get) {
  if (variant === 'pass') return get('x-mw-0') === null;
  for (let i = 0; i < n; i++) if (get('x-mw-' + i) !== '1') return false;
  return get('x-mw-' + n) === null;
}

export const CASES = {
  'stackware (class)': stackwareCase('class'),
  'stackware (function)': stackwareCase('fn'),
  'koa-compose': koaComposeCase,
  hono: honoCase,
};
