// The benchmark suite of issue 5: `npm run bench` from the repository root.
//
//   1. builds stackware (`tsc -p tsconfig.build.json` → dist/), which the servers load;
//   2. HTTP: raw node:http, Fastify, Hono, Koa, Express and stackware at N ∈ {0, 1, 5, 10} layers;
//   3. the in-process dispatch microbenchmark, and (where perf counts instructions) the in-process
//      instruction counts;
//   4. streaming 1 GiB through 5 layers, fast and slow readers;
//   5. one CPU profile of the stackware N=10 server;
//   6. writes bench/RESULTS.md and bench/cpu-per-request.svg.
//
// Environment: BENCH_ROUNDS (8), BENCH_SECONDS (1: one timed run), BENCH_WARMUP (2: once per
// server), BENCH_ROUND_WARMUP (0: before every timed run), BENCH_MAX_INTERFERENCE (0.25 cores),
// BENCH_RETRY_BUDGET (40 s), BENCH_COUNT_ROUNDS (3: HTTP rounds counting instructions with perf),
// BENCH_PARTS (http,micro,icount,stream,profile), BENCH_QUICK=1 for a short smoke run written to
// RESULTS.quick.md, BENCH_RENDER=1 to rewrite RESULTS.md and the chart from the recorded
// results.json without measuring anything.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, CLIENT_CORE, PERF_EVENTS, ROOT_DIR, calibrate, canPin, describeCommand, log, machineInfo, perfSupport, pinned } from './common.js';
import { findLoadGenerator, runHttpBench } from './http-bench.js';
import { runMicroBench } from './micro-bench.js';
import { runMicroCount } from './micro-count.js';
import { runProfile } from './profile.js';
import { renderMarkdown, renderSvg, summaryLines, targetSummary, type SuiteResults } from './report.js';
import { runStreamBench } from './stream-bench.js';
import { carrySections } from './sections.js';

const quick = process.env.BENCH_QUICK === '1';
const num = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
};
const rounds = num('BENCH_ROUNDS', quick ? 1 : 8);
const seconds = num('BENCH_SECONDS', 1);
const warmup = num('BENCH_WARMUP', quick ? 1 : 2);
const roundWarmup = process.env.BENCH_ROUND_WARMUP === undefined ? 0 : num('BENCH_ROUND_WARMUP', 0);
const maxInterference = num('BENCH_MAX_INTERFERENCE', 0.25);
const retryBudget = process.env.BENCH_RETRY_BUDGET === '0' ? 0 : num('BENCH_RETRY_BUDGET', quick ? 10 : 40);
const countRounds = process.env.BENCH_COUNT_ROUNDS === '0' ? 0 : num('BENCH_COUNT_ROUNDS', quick ? 1 : 3);
const parts = new Set((process.env.BENCH_PARTS ?? 'http,micro,icount,stream,profile').split(',').map((p) => p.trim()));
const suffix = quick ? '.quick' : '';
const resultsFile = join(BENCH_DIR, `RESULTS${suffix}.md`);
const svgFile = join(BENCH_DIR, `cpu-per-request${suffix}.svg`);

const dataFile = join(BENCH_DIR, `results${suffix}.json`);

/** Writes RESULTS.md and the chart from a results object (a fresh run, or results.json). */
function render(results: SuiteResults): void {
  if (results.http) writeFileSync(svgFile, renderSvg(results.http));
  const previous = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '';
  writeFileSync(resultsFile, carrySections(previous, renderMarkdown(results, summaryLines(results))));
  const summary = targetSummary(results);
  process.stdout.write(`\n${summary.lines.join('\n')}\n\n`);
  log(`wrote ${resultsFile}${results.http ? ` and ${svgFile}` : ''}: ${summary.passed} targets pass, ${summary.failed} fail`);
}

async function main(): Promise<void> {
  if (process.env.BENCH_RENDER === '1') {
    // Only re-render the recorded run (after a change to report.ts); measures nothing.
    const saved = JSON.parse(readFileSync(dataFile, 'utf8')) as SuiteResults;
    render({ ...saved, date: new Date(saved.date) });
    return;
  }
  const started = Date.now();
  if (!existsSync(join(BENCH_DIR, 'node_modules', 'fastify'))) {
    throw new Error("The bench's dependencies are missing: run `npm --prefix bench ci` (or `npm run bench`, which does it)");
  }
  log('building stackware (tsc -p tsconfig.build.json → dist/)');
  execFileSync(process.execPath, [join(ROOT_DIR, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT_DIR, stdio: 'inherit' });
  if (!canPin()) log('taskset is missing or there is one core: running unpinned');
  const generator = findLoadGenerator();
  const perf = perfSupport();
  if (!perf.available) log(`instruction counts skipped: ${perf.detail}`);
  const results: SuiteResults = {
    date: new Date(),
    machine: machineInfo(`${generator.name} (${generator.version})`),
    durationSeconds: 0,
    commands: [
      '`npm run bench` = `npm --prefix bench ci && tsx bench/run.ts` (the suite builds `dist/` with `tsc -p tsconfig.build.json` first)',
      `HTTP servers: \`taskset -c 1 node bench/servers/<contestant>.mjs --layers=N\` (stackware: \`stackware.mjs --style=class|fn\`), each on 127.0.0.1 and a free port`,
      `load: \`${generator.template}\` (SECONDS = ${warmup} once per server as a warm-up${roundWarmup > 0 ? `, ${roundWarmup} before each timed run` : ''}, then ${seconds} per timed run)`,
    ],
    notes: [],
    calibration: [],
  };
  if (generator.name !== 'wrk') {
    results.notes.push(
      'wrk was not found, so autocannon (Node) generated the load. It needs more CPU per request than wrk and may not saturate the servers: ' +
        'req/s are then lower than with wrk, while CPU per request stays comparable. Install wrk with `apt-get install -y wrk` (Debian) for the reference method.',
    );
  }
  if (!perf.available) {
    results.notes.push(`Instruction counts were skipped: ${perf.detail}. CPU time and its verdicts are unaffected.`);
  } else if (parts.has('http') && countRounds > 0) {
    const [file, args] = pinned(CLIENT_CORE, 'perf', ['stat', '-x,', '-e', PERF_EVENTS, '-p', 'PID', '-o', 'FILE']);
    results.commands.push(
      `server instructions: ${countRounds} more round${countRounds === 1 ? '' : 's'} of ${seconds} s runs, each under \`${describeCommand(file, args)}\` (started 100 ms before the load, stopped with SIGINT after it)`,
    );
  }

  results.calibration = [await calibrate()];
  log(`calibration loop: ${results.calibration[0]} ms CPU`);
  if (parts.has('http')) {
    results.http = await runHttpBench({ rounds, seconds, warmup, roundWarmup, maxInterference, retryBudget, generator, countRounds: perf.available ? countRounds : 0 });
    log(`http done in ${results.http.durationSeconds.toFixed(0)} s`);
  }
  if (parts.has('micro')) {
    results.micro = await runMicroBench({
      rounds: quick ? 1 : 3,
      minCpuMs: quick ? 50 : 150,
      layers: [0, 1, 5, 10, 20],
    });
    results.commands.push(`microbenchmark: \`${results.micro.command}\``);
    log(`micro done in ${results.micro.durationSeconds.toFixed(0)} s`);
  }
  if (parts.has('icount') && perf.available) {
    results.icount = await runMicroCount({ counts: quick ? [20_000, 120_000] : [20_000, 220_000], rounds: quick ? 1 : 2 });
    results.commands.push(`in-process instruction counts: \`${results.icount.command}\` for K = ${results.icount.counts.join(' and ')}`);
    log(`icount done in ${results.icount.durationSeconds.toFixed(0)} s`);
  }
  if (parts.has('stream')) {
    results.stream = await runStreamBench({
      bytes: quick ? 2 ** 26 : 2 ** 30,
      rounds: quick ? 1 : 3,
      slowRate: 4 * 2 ** 20,
      slowSeconds: quick ? 1 : 3,
    });
    results.commands.push(`streaming server: \`${results.stream.serverCommand}\`; client: \`${results.stream.clientCommand}\``);
    log(`stream done in ${results.stream.durationSeconds.toFixed(0)} s`);
  }
  if (parts.has('profile')) {
    results.profile = await runProfile({ generator, seconds: quick ? 2 : 5, warmup, layers: 10 });
    results.commands.push(`profile: \`${results.profile.command}\` under \`${results.profile.loadCommand}\`, then SIGTERM`);
  }

  results.calibration.push(await calibrate());
  log(`calibration loop: ${results.calibration[1]} ms CPU`);
  results.durationSeconds = (Date.now() - started) / 1000;
  writeFileSync(dataFile, `${JSON.stringify(results, null, 1)}\n`);
  render(results);
  log(`the suite took ${(results.durationSeconds / 60).toFixed(1)} min; every sample is in ${dataFile}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
