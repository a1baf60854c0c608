// The in-process microbenchmark (bench/micro.mjs, timed with mitata) in its own process pinned to
// the server core; here its results become per-cell times and per-layer slopes.
import { join } from 'node:path';
import { BENCH_DIR, SERVER_CORE, describeCommand, fitLine, log, median, pinned, runCommand } from './common.js';

export interface MicroRow {
  round: number;
  name: string;
  variant: 'pass' | 'header';
  n: number;
  /** mitata's median time of one dispatch, ns. */
  p50: number;
  avg: number;
  min: number;
  samples: number;
}

export interface MicroSeries {
  name: string;
  variant: 'pass' | 'header';
  /** Per N: the lowest of the rounds' medians (ns), and the median of them. */
  points: { n: number; best: number; median: number }[];
  /** Least-squares slope of `best` against N: the cost of one more layer, ns. */
  slope: number;
  intercept: number;
  /** The slope of each round on its own. */
  roundSlopes: number[];
}

export interface MicroResults {
  command: string;
  layers: number[];
  rounds: number;
  series: MicroSeries[];
  durationSeconds: number;
}

export async function runMicroBench(options: { rounds: number; minCpuMs: number; layers: number[] }): Promise<MicroResults> {
  const started = Date.now();
  const [file, args] = pinned(SERVER_CORE, process.execPath, [
    '--expose-gc',
    join(BENCH_DIR, 'micro.mjs'),
    `--rounds=${options.rounds}`,
    `--min-cpu-ms=${options.minCpuMs}`,
    `--layers=${options.layers.join(',')}`,
  ]);
  const command = describeCommand(file, args);
  log(`micro: ${command}`);
  const out = JSON.parse((await runCommand(file, args, 300_000)).trim().split('\n').pop() as string) as { results: MicroRow[] };
  const groups = new Map<string, MicroRow[]>();
  for (const row of out.results) {
    const key = `${row.name}\0${row.variant}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const series: MicroSeries[] = [];
  for (const rows of groups.values()) {
    const points = options.layers.map((n) => {
      const times = rows.filter((r) => r.n === n).map((r) => r.p50);
      return { n, best: Math.min(...times), median: median(times) };
    });
    const { slope, intercept } = fitLine(points.map((p) => [p.n, p.best]));
    const roundSlopes = [...new Set(rows.map((r) => r.round))].map(
      (round) => fitLine(rows.filter((r) => r.round === round).map((r) => [r.n, r.p50])).slope,
    );
    series.push({ name: rows[0].name, variant: rows[0].variant, points, slope, intercept, roundSlopes });
  }
  return { command, layers: options.layers, rounds: options.rounds, series, durationSeconds: (Date.now() - started) / 1000 };
}
