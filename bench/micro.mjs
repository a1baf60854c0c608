// In-process dispatch through N layers, no socket: the cases of micro-cases.mjs (stackware's
// app.handle, koa-compose, Hono's app.request; "pass" and "header" layers), timed with mitata. The
// clock is the process's CPU time. Prints one JSON object on stdout.
import { do_not_optimize, measure } from 'mitata';
import { CASES } from './micro-cases.mjs';

const arg = (name, fallback) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : a.slice(name.length + 3);
};
const LAYERS = arg('layers', '0,1,2,5,10,20').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '2'));
const MIN_CPU_MS = Number(arg('min-cpu-ms', '300'));
const VARIANTS = arg('variants', 'pass,header').split(',');
const ONLY = arg('contestants', '');

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
      for (const [name, make] of Object.entries(CASES)) {
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
