// Two builds of stackware against each other, in process: the same dispatch cases through
// app.handle(request). Each build runs in a child process of its own (two copies of the library in
// one process would share the benchmark's call sites, and the one loaded second came out a few per
// cent slower whichever it was); the parent asks them for samples in turn, A then B, then B then A,
// so that whatever else the machine does falls on both alike, and only one runs at a time. A sample
// is the CPU time (user + system) of K dispatches. Prints the median CPU ns per request of each
// build and the median of the per-round ratios B/A. Bounded: AB_ROUNDS × cases × 2 samples.
//
//   AB_A=/tmp/dist-base AB_B=/tmp/dist-branch node bench/ab-dispatch.mjs
//
// AB_ROUNDS (21) rounds, AB_K (40000) dispatches per sample, AB_CASES=10,background (parts of case
// names) to run only some cases; AB_SUITE=middleware for the built-in middleware (bench/ab-middleware-cases.mjs). Run it A/A too (AB_B=AB_A): the spread of that run is the noise.
// AB_A and AB_B are directories holding a CommonJS build (`tsc -p tsconfig.build.json --outDir ...`)
// whose dependencies resolve from there (a node_modules link next to it).
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { middlewareCases } from './ab-middleware-cases.mjs';

const ROUNDS = Number(process.env.AB_ROUNDS ?? 21);
// Samples of 40 ms and more: the kernel accounts CPU time in ticks (4 ms here), so short samples scatter.
const K = Number(process.env.AB_K ?? 40_000);
const WARMUP_SAMPLES = 5;
/** Comma-separated parts of case names to run (all when unset). */
const ONLY = process.env.AB_CASES?.split(',') ?? [];

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
  const make = (layers, endpoint) => {
    const app = new Application();
    for (let i = 0; i < layers; i++) app.addMiddleware(AddHeader, { i });
    app.get('/', endpoint);
    return async () => {
      const response = await app.handle(new Request(new FakeSource()));
      if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
    };
  };
  async function* session() {
    yield { open: true };
  }
  return {
    'JSON value, 10 header layers': make(10, () => ({ message: 'hello' })),
    'JSON value, no layers': make(0, () => ({ message: 'hello' })),
    'one request-scoped generator dependency': make(0, async (request) => ({ open: (await request.depends(session)).open })),
    'response with a background task': make(0, () => new PlainTextResponse('ok', { background: new BackgroundTasks([() => undefined]) })),
  };
}

/** The child: loads one build and answers each case name with the CPU ns per dispatch of K dispatches. */
async function worker(dir) {
  // AB_SUITE=middleware: the built-in middleware cases of the stack benchmark instead.
  const all = (process.env.AB_SUITE === 'middleware' ? middlewareCases : cases)(createRequire(import.meta.url)(resolve(dir, 'index.js')));
  process.send({ ready: Object.keys(all) });
  process.on('message', async (name) => {
    const run = all[name];
    const start = process.cpuUsage();
    for (let i = 0; i < K; i++) await run();
    const used = process.cpuUsage(start);
    process.send({ ns: ((used.user + used.system) * 1000) / K });
  });
  process.on('disconnect', () => process.exit(0));
}

function start(dir) {
  const child = fork(fileURLToPath(import.meta.url), ['--worker', dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let pending;
  child.on('message', (message) => pending?.resolve(message));
  child.on('exit', (code) => pending?.reject(new Error(`worker for ${dir} exited with ${code}`)));
  const next = () => new Promise((resolve, reject) => (pending = { resolve, reject }));
  const ready = next();
  return {
    ready,
    sample: async (name) => {
      const answer = next();
      child.send(name);
      return (await answer).ns;
    },
    stop: () => child.disconnect(),
  };
}

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
  const a = start(process.env.AB_A ?? 'dist');
  const b = start(process.env.AB_B ?? 'dist');
  const names = (await a.ready).ready.filter((name) => ONLY.length === 0 || ONLY.some((part) => name.includes(part)));
  await b.ready;
  try {
    for (const name of names) {
      for (let i = 0; i < WARMUP_SAMPLES; i++) {
        await a.sample(name);
        await b.sample(name);
      }
    }
    const results = Object.fromEntries(names.map((name) => [name, { a: [], b: [], ratio: [] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        let x;
        let y;
        if (round % 2 === 0) {
          x = await a.sample(name);
          y = await b.sample(name);
        } else {
          y = await b.sample(name);
          x = await a.sample(name);
        }
        results[name].a.push(x);
        results[name].b.push(y);
        results[name].ratio.push(y / x);
      }
    }
    console.log(`rounds ${ROUNDS}, ${K} dispatches per sample, node ${process.version}`);
    console.log('| case | A CPU ns/request | B CPU ns/request | B/A (median of rounds) | B/A min–max |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [name, r] of Object.entries(results)) {
      const range = `${Math.min(...r.ratio).toFixed(3)}–${Math.max(...r.ratio).toFixed(3)}`;
      console.log(`| ${name} | ${median(r.a).toFixed(0)} | ${median(r.b).toFixed(0)} | ${median(r.ratio).toFixed(3)} | ${range} |`);
    }
  } finally {
    a.stop();
    b.stop();
  }
}

if (process.argv[2] === '--worker') await worker(process.argv[3]);
else await main();
