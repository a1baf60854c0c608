// Two builds of stackware against each other, in process: the same dispatch cases through
// app.handle(request), timed in interleaved rounds (A then B, B then A, ...) so that whatever else
// the machine does falls on both alike. Prints the median CPU ns per request of each build and the
// median of the per-round ratios B/A. Bounded: ROUNDS × cases × 2 samples of K dispatches.
//
//   AB_A=/tmp/dist-base AB_B=dist node bench/ab-dispatch.mjs
//
// AB_A and AB_B are directories holding a CommonJS build (`tsc -p tsconfig.build.json --outDir ...`).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const ROUNDS = Number(process.env.AB_ROUNDS ?? 15);
const K = Number(process.env.AB_K ?? 20_000);

function load(dir) {
  return require(resolve(dir, 'index.js'));
}

/** The dispatch cases; each returns a function dispatching one request and checking its answer. */
function cases(sw) {
  const { Application, BackgroundTasks, BaseHTTPMiddleware, Headers, PlainTextResponse, Request } = sw;
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
  class AddHeader extends BaseHTTPMiddleware {
    async dispatch(request, callNext) {
      const r = await callNext(request);
      r.headers.set('x-mw-' + this.options.i, '1');
      return r;
    }
  }
  const make = (layers, endpoint, expected) => {
    const app = new Application();
    for (let i = 0; i < layers; i++) app.addMiddleware(AddHeader, { i });
    app.get('/', endpoint);
    return async () => {
      const response = await app.handle(new Request(new FakeSource()));
      if (response.statusCode !== expected) throw new Error(`status ${response.statusCode}`);
    };
  };
  async function* session() {
    yield { open: true };
  }
  return {
    'JSON value, 10 header layers': make(10, () => ({ message: 'hello' }), 200),
    'JSON value, no layers': make(0, () => ({ message: 'hello' }), 200),
    'one request-scoped generator dependency': make(0, async (request) => ({ open: (await request.depends(session)).open }), 200),
    'response with a background task': make(0, () => new PlainTextResponse('ok', { background: new BackgroundTasks([() => undefined]) }), 200),
  };
}

/** CPU time (user + system) of this process per dispatch, in ns: less disturbed by other processes than wall time. */
async function sample(run) {
  const start = process.cpuUsage();
  for (let i = 0; i < K; i++) await run();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / K;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const a = cases(load(process.env.AB_A ?? 'dist'));
const b = cases(load(process.env.AB_B ?? 'dist'));
for (const name of Object.keys(a)) {
  for (let i = 0; i < 3; i++) {
    await sample(a[name]);
    await sample(b[name]);
  }
}
const results = Object.fromEntries(Object.keys(a).map((name) => [name, { a: [], b: [], ratio: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(a)) {
    const first = round % 2 === 0;
    const x = first ? await sample(a[name]) : 0;
    const y = await sample(b[name]);
    const xa = first ? x : await sample(a[name]);
    results[name].a.push(xa);
    results[name].b.push(y);
    results[name].ratio.push(y / xa);
  }
}
console.log(`rounds ${ROUNDS}, ${K} dispatches per sample, node ${process.version}`);
console.log('| case | A CPU ns/request | B CPU ns/request | B/A (median of rounds) | B/A min–max |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, r] of Object.entries(results)) {
  const lo = Math.min(...r.ratio).toFixed(3);
  const hi = Math.max(...r.ratio).toFixed(3);
  console.log(`| ${name} | ${median(r.a).toFixed(0)} | ${median(r.b).toFixed(0)} | ${median(r.ratio).toFixed(3)} | ${lo}–${hi} |`);
}
