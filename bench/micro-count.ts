// In-process instruction counts: each case of micro-cases.mjs (stackware class and function,
// koa-compose; pass-through and header-setting layers; N = 0 and 10) runs K dispatches in a fresh
// process (micro-count.mjs) pinned to the server core, under `perf stat -e instructions:u`, for two
// values of K. (count(K2) − count(K1)) / (K2 − K1) is the instructions of one dispatch: start-up,
// imports, set-up and the JIT's warm-up cancel. Per layer: (N=10 − N=0) / 10.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, SERVER_CORE, describeCommand, log, median, parsePerfStat, pinned, runCommand } from './common.js';

export const COUNT_CASES = ['stackware (class)', 'stackware (function)', 'koa-compose'] as const;
export const COUNT_LAYERS = [0, 10] as const;

export interface CountRow {
  round: number;
  name: string;
  variant: 'pass' | 'header';
  n: number;
  /** instructions:u of the whole process at each K. */
  counts: number[];
  /** Instructions of one dispatch. */
  perRequest: number;
}

export interface CountSeries {
  name: string;
  variant: 'pass' | 'header';
  /** Median over the rounds of the instructions of one dispatch at N=0 and N=10. */
  n0: number;
  n10: number;
  /** Median over the rounds of (N=10 − N=0) / 10: the instructions of one more layer. */
  perLayer: number;
  roundPerLayer: number[];
}

export interface CountResults {
  command: string;
  /** The two numbers of dispatches per process. */
  counts: number[];
  rounds: number;
  rows: CountRow[];
  series: CountSeries[];
  durationSeconds: number;
}

function commandFor(name: string, variant: string, n: number, count: number, file: string): [string, string[]] {
  const [f, a] = pinned(SERVER_CORE, process.execPath, [
    join(BENCH_DIR, 'micro-count.mjs'),
    `--case=${name}`,
    `--variant=${variant}`,
    `--layers=${n}`,
    `--count=${count}`,
  ]);
  return ['perf', ['stat', '-x,', '-e', 'instructions:u', '-o', file, '--', f, ...a]];
}

/** The user-space instructions of one micro-count.mjs process. */
async function countOnce(name: string, variant: string, n: number, count: number): Promise<number> {
  const file = join(tmpdir(), `stackware-bench-count-${process.pid}.csv`);
  try {
    const [f, a] = commandFor(name, variant, n, count, file);
    await runCommand(f, a, 120_000);
    return parsePerfStat(readFileSync(file, 'utf8')).get('instructions:u') ?? Number.NaN;
  } finally {
    rmSync(file, { force: true });
  }
}

export async function runMicroCount(options: { counts: [number, number]; rounds: number }): Promise<CountResults> {
  const started = Date.now();
  const [k1, k2] = options.counts;
  const [f, a] = commandFor('CASE', 'pass|header', 0, 0, 'FILE');
  const command = describeCommand(f, a).replace(process.execPath, 'node').replace('--layers=0', '--layers=N').replace('--count=0', '--count=K');
  log(`icount: ${command}, K = ${k1} and ${k2}`);
  const rows: CountRow[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (const variant of ['pass', 'header'] as const) {
      for (const name of COUNT_CASES) {
        for (const n of COUNT_LAYERS) {
          const counts = [await countOnce(name, variant, n, k1), await countOnce(name, variant, n, k2)];
          const perRequest = (counts[1] - counts[0]) / (k2 - k1);
          rows.push({ round, name, variant, n, counts, perRequest });
          log(`icount r${round + 1} ${variant} N=${n} ${name}: ${Math.round(perRequest)} instructions/request`);
        }
      }
    }
  }
  const series: CountSeries[] = [];
  for (const variant of ['pass', 'header'] as const) {
    for (const name of COUNT_CASES) {
      const of = (n: number): CountRow[] => rows.filter((r) => r.name === name && r.variant === variant && r.n === n);
      const roundPerLayer = of(10).map((r10) => (r10.perRequest - (of(0).find((r0) => r0.round === r10.round)?.perRequest ?? Number.NaN)) / 10);
      series.push({
        name,
        variant,
        n0: median(of(0).map((r) => r.perRequest)),
        n10: median(of(10).map((r) => r.perRequest)),
        perLayer: median(roundPerLayer),
        roundPerLayer,
      });
    }
  }
  return { command, counts: options.counts, rounds: options.rounds, rows, series, durationSeconds: (Date.now() - started) / 1000 };
}
