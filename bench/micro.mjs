// In-process dispatch through N layers, no socket: stackware's app.handle(request) (a Request
// over a tiny fake RequestSource) against koa-compose and Hono's app.request. Timed with mitata.
// Two variants: "pass" layers only await the next one; "header" layers also set one response
// header after it, as in the HTTP benchmark. The clock is the process's CPU time. Prints one JSON
// object on stdout.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { Hono } from 'hono';
import compose from 'koa-compose';
import { do_not_optimize, measure } from 'mitata';
import { stackware } from './servers/harness.mjs';

const { Application, BaseHTTPMiddleware, Headers, Request } = stackware();

const arg = (name, fallback) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : a.slice(name.length + 3);
};
const LAYERS = arg('layers', '0,1,2,5,10,20').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '2'));
const MIN_CPU_MS = Number(arg('min-cpu-ms', '300'));
const VARIANTS = arg('variants', 'pass,header').split(',');
const ONLY = arg('contestants', '');

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

const CONTESTANTS = {
  'stackware (class)': stackwareCase('class'),
  'stackware (function)': stackwareCase('fn'),
  'koa-compose': koaComposeCase,
  hono: honoCase,
};

/**
 * mitata's clock: this process's CPU time (user + system, all threads), in ns. On a shared machine
 * the time while another process has the core is then not counted.
 */
function cpuNow() {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

const results = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of VARIANTS) {
    for (const n of LAYERS) {
      for (const [name, make] of Object.entries(CONTESTANTS)) {
        if (ONLY !== '' && !ONLY.split(',').some((part) => name.startsWith(part))) continue;
        const { run, check } = make(n, variant);
        const first = await run();
        if (!check(first)) throw new Error(`${name} ${variant} N=${n}: the result failed validation`);
        const stats = await measure(
          async () => {
            do_not_optimize(await run());
          },
          { min_cpu_time: MIN_CPU_MS * 1e6, now: cpuNow },
        );
        results.push({ round, name, variant, n, p50: stats.p50, avg: stats.avg, min: stats.min, samples: stats.samples.length });
        process.stderr.write(`micro ${round} ${variant} N=${n} ${name}: ${stats.p50.toFixed(0)} ns\n`);
      }
    }
  }
}
process.stdout.write(JSON.stringify({ layers: LAYERS, rounds: ROUNDS, results }) + '\n');
