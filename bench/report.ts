// Turns the results into bench/RESULTS.md and the chart bench/cpu-per-request.svg.
import type { MachineInfo } from './common.js';
import { median } from './common.js';
import { CONNECTIONS, CONTESTANTS, LAYERS, type Cell, type HttpResults, type Sample } from './http-bench.js';
import type { MicroResults, MicroSeries } from './micro-bench.js';
import type { CountResults, CountSeries } from './micro-count.js';
import type { ProfileResults } from './profile.js';
import { CHUNK, STREAM_LAYERS, type StreamResults, type StreamRun } from './stream-bench.js';

export interface SuiteResults {
  date: Date;
  machine: MachineInfo;
  durationSeconds: number;
  commands: string[];
  http?: HttpResults;
  micro?: MicroResults;
  /** In-process instruction counts (absent where perf cannot count, and in older results). */
  icount?: CountResults;
  stream?: StreamResults;
  profile?: ProfileResults;
  notes: string[];
  /** The calibration loop's CPU time (ms) before and after the suite. */
  calibration: number[];
}

const COLORS: Record<string, string> = {
  raw: '#555555',
  'raw-bytes': '#aaaaaa',
  stackware: '#d62728',
  'stackware-fn': '#ff7f0e',
  fastify: '#1f77b4',
  hono: '#e377c2',
  koa: '#2ca02c',
  express: '#9467bd',
};

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const fmtInt = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const mib = (bytes: number): string => fmt(bytes / 2 ** 20, 1);
const kib = (bytes: number): string => fmt(bytes / 1024, 1);
const pass = (ok: boolean | undefined): string => (ok === undefined ? '—' : ok ? '**pass**' : '**FAIL**');
/** Thousands, one decimal: instruction counts. */
const kilo = (value: number): string => (Number.isFinite(value) ? `${(value / 1000).toFixed(1)} k` : 'n/a');

function cellOf(http: HttpResults, key: string, layers: number): Cell | undefined {
  return http.cells.find((c) => c.contestant.key === key && c.layers === layers && c.samples.length > 0);
}


/** What a sample measured per request: CPU time (µs), or instructions (user + kernel, or user only). */
type Metric = 'cpuPerRequest' | 'instructionsPerRequest' | 'userInstructionsPerRequest';

/** A sample's value of a metric; NaN where it was not measured (instructions in older results, or null in JSON). */
function valueOf(sample: Sample, metric: Metric): number {
  const value = sample[metric] as number | null | undefined;
  return typeof value === 'number' ? value : Number.NaN;
}

/** The runs that measured a metric: the CPU-timed ones, or the ones under perf for the instruction counts. */
function runsOf(cell: Cell, metric: Metric): Sample[] {
  return metric === 'cpuPerRequest' ? cell.samples : (cell.counted ?? []).filter((s) => Number.isFinite(valueOf(s, metric)));
}

/** The quiet runs of a cell that measured a metric (no other process busy), or all of them when none was quiet. */
function usableFor(cell: Cell, metric: Metric): Sample[] {
  const runs = runsOf(cell, metric);
  const quiet = runs.filter((s) => !s.noisy);
  return quiet.length > 0 ? quiet : runs;
}

function medianOf(cell: Cell | undefined, metric: Metric = 'cpuPerRequest'): number {
  return cell === undefined ? Number.NaN : median(usableFor(cell, metric).map((s) => valueOf(s, metric)));
}

/** True when some run has an instruction count. */
function hasInstructions(http: HttpResults): boolean {
  return http.cells.some((c) => runsOf(c, 'instructionsPerRequest').length > 0);
}

/** The fewest instructions per request a cell needed in any of its counted runs. */
function fewest(cell: Cell, metric: Metric): number {
  return Math.min(...usableFor(cell, metric).map((s) => valueOf(s, metric)));
}

/**
 * Per round, a's CPU per request over b's: the median of those ratios and each one. Only rounds
 * where both runs were quiet count, unless there is no such round. For instruction counts the
 * headline ratio is a's fewest over b's fewest (see {@link fewest}): a disturbance, or a
 * long-lived server settling into worse code, only ever adds instructions, and the baseline's
 * process did so for good in the middle of some runs; the per-round ratios are still listed.
 */
function roundRatios(a: Cell | undefined, b: Cell | undefined, metric: Metric = 'cpuPerRequest'): { median: number; perRound: number[] } {
  if (a === undefined || b === undefined) return { median: Number.NaN, perRound: [] };
  const cpu = metric === 'cpuPerRequest';
  const bRuns = runsOf(b, metric);
  const pairs = runsOf(a, metric)
    .map((s) => [s, bRuns.find((t) => t.round === s.round && t.block === s.block)] as const)
    .filter((pair): pair is readonly [Sample, Sample] => pair[1] !== undefined);
  const quiet = pairs.filter(([x, y]) => !x.noisy && !y.noisy);
  const perRound = (quiet.length > 0 ? quiet : pairs).map(([x, y]) => valueOf(x, metric) / valueOf(y, metric));
  if (cpu || perRound.length === 0) return { median: median(perRound), perRound };
  return { median: fewest(a, metric) / fewest(b, metric), perRound };
}

interface TargetRow {
  target: string;
  measured: string;
  ok: boolean | undefined;
  /**
   * A CPU-time row's ratio taken again from instruction counts: shown beside the verdict it
   * repeats, not counted among the targets.
   */
  byInstructions?: boolean;
}

/**
 * The HTTP targets, judged on CPU per request; where the run has instruction counts, each row is
 * followed by the same ratio from instructions per request (same rounds and blocks, same threshold).
 */
function httpTargets(http: HttpResults): TargetRow[] {
  const rows: TargetRow[] = [];
  const raw0 = cellOf(http, 'raw', 0);
  const metrics: Metric[] = hasInstructions(http) ? ['cpuPerRequest', 'instructionsPerRequest'] : ['cpuPerRequest'];
  const rowsFor = (make: (metric: Metric, what: string, suffix: string) => TargetRow): void => {
    for (const metric of metrics) {
      const cpu = metric === 'cpuPerRequest';
      rows.push({ ...make(metric, cpu ? 'CPU/request' : 'instructions/request', cpu ? '' : ' — by instruction count'), ...(cpu ? {} : { byInstructions: true }) });
    }
  };
  for (const key of ['stackware', 'stackware-fn']) {
    const label = CONTESTANTS.find((c) => c.key === key)?.label ?? key;
    rowsFor((metric, what, suffix) => {
      const r0 = roundRatios(cellOf(http, key, 0), raw0, metric);
      return {
        target: `${label}: ${what} at N=0 ≤ 1.10 × raw node:http${suffix}`,
        measured: `${fmt(r0.median, 3)} × (rounds: ${r0.perRound.map((r) => fmt(r, 3)).join(', ')})`,
        ok: Number.isFinite(r0.median) ? r0.median <= 1.1 : undefined,
      };
    });
    rowsFor((metric, what, suffix) => {
      const r10 = roundRatios(cellOf(http, key, 10), raw0, metric);
      return {
        target: `${label}: ${what} at N=10 ≤ 1.20 × raw node:http at N=0${suffix}`,
        measured: `${fmt(r10.median, 3)} × (rounds: ${r10.perRound.map((r) => fmt(r, 3)).join(', ')})`,
        ok: Number.isFinite(r10.median) ? r10.median <= 1.2 : undefined,
      };
    });
    for (const [peer, strict] of [
      ['fastify', false],
      ['hono', true],
      ['koa', true],
      ['express', true],
    ] as const) {
      rowsFor((metric, what, suffix) => {
        const ratios = LAYERS.map((n) => ({ n, r: roundRatios(cellOf(http, key, n), cellOf(http, peer, n), metric) }));
        const known = ratios.filter((x) => Number.isFinite(x.r.median));
        const ok = known.length === 0 ? undefined : known.every((x) => (strict ? x.r.median < 1 : x.r.median <= 1));
        const peerLabel = CONTESTANTS.find((c) => c.key === peer)?.label ?? peer;
        return {
          target: `${label}: ${what} ${strict ? '<' : '≤'} ${peerLabel}'s at every N${suffix}`,
          measured: ratios.map((x) => `N=${x.n}: ${fmt(x.r.median, 2)}×`).join(', '),
          ok,
        };
      });
    }
  }
  return rows;
}

/** The per-layer targets, judged on ns; the instructions of a layer (in-process counts) are shown beside them. */
function microTargets(micro: MicroResults, icount: CountResults | undefined): TargetRow[] {
  const rows: TargetRow[] = [];
  const instructions = (name: string, variant: string): string => {
    const perLayer = icount?.series.find((x) => x.name === name && x.variant === variant)?.perLayer ?? Number.NaN;
    return `${fmtInt(perLayer)} instructions/layer`;
  };
  for (const variant of ['pass', 'header'] as const) {
    const koa = micro.series.find((s) => s.name === 'koa-compose' && s.variant === variant);
    for (const name of ['stackware (class)', 'stackware (function)']) {
      const s = micro.series.find((x) => x.name === name && x.variant === variant);
      if (s === undefined) continue;
      rows.push({
        target: `${name}, ${variant === 'pass' ? 'pass-through' : 'header-setting'} layer: ≤ 300 ns per layer and ≤ koa-compose's layer`,
        measured:
          `${fmt(s.slope, 0)} ns/layer, ${instructions(name, variant)} ` +
          `(koa-compose ${fmt(koa?.slope ?? Number.NaN, 0)} ns/layer, ${instructions('koa-compose', variant)})`,
        ok: Number.isFinite(s.slope) ? s.slope <= 300 && (koa === undefined || s.slope <= koa.slope) : undefined,
      });
    }
  }
  return rows;
}

function streamTargets(stream: StreamResults): TargetRow[] {
  const fast = stream.runs.filter((r) => r.mode === 'fast' && r.problems.length === 0);
  const rounds = [...new Set(fast.map((r) => r.round))];
  const perRound = rounds
    .map((round) => {
      const sw = fast.find((r) => r.round === round && r.style === 'stackware');
      const raw = fast.find((r) => r.round === round && r.style === 'raw');
      return sw && raw ? sw.throughput / raw.throughput : Number.NaN;
    })
    .filter(Number.isFinite);
  const ratio = median(perRound);
  const swFast = fast.filter((r) => r.style === 'stackware');
  const peak = Math.max(...swFast.map((r) => r.peakRss));
  const slow = stream.runs.find((r) => r.mode === 'slow' && r.style === 'stackware');
  const hwm = slow?.stats?.highWaterMark ?? 16384;
  const bound = STREAM_LAYERS * hwm;
  return [
    {
      target: `Streaming ${mib(stream.bytes)} MiB through ${STREAM_LAYERS} layers: throughput ≥ 0.9 × raw node:http pipe`,
      measured: `${fmt(ratio, 2)} × (rounds: ${perRound.map((r) => fmt(r, 2)).join(', ')})`,
      ok: Number.isFinite(ratio) ? ratio >= 0.9 : undefined,
    },
    {
      target: `Streaming ${mib(stream.bytes)} MiB: server peak RSS < 100 MiB`,
      measured: `${mib(peak)} MiB (VmHWM, worst run)`,
      ok: swFast.length > 0 ? peak < 100 * 2 ** 20 : undefined,
    },
    {
      target: `Slow reader: the server buffers at most the socket's high-water mark per layer (${STREAM_LAYERS} × ${kib(hwm)} KiB = ${kib(bound)} KiB)`,
      measured: slow?.stats ? `peak ${kib(slow.stats.peakBuffered)} KiB in res.writableLength (one ${kib(CHUNK)} KiB chunk + framing)` : 'n/a',
      ok: slow?.stats ? slow.stats.peakBuffered <= bound && slow.problems.length === 0 : undefined,
    },
  ];
}

/** The chart: server CPU µs per request against N, one line per contestant. */
export function renderSvg(http: HttpResults): string {
  const width = 900;
  const height = 460;
  const margin = { left: 64, right: 330, top: 40, bottom: 56 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const raw0 = medianOf(cellOf(http, 'raw', 0));
  const series = CONTESTANTS.map((c) => ({
    contestant: c,
    points: c.layers.map((n) => ({ n, y: medianOf(cellOf(http, c.key, n)) })).filter((p) => Number.isFinite(p.y)),
  })).filter((s) => s.points.length > 0);
  const all = series.flatMap((s) => s.points.map((p) => p.y));
  // Linear axis; a contestant far above the others is clipped and labelled at the top.
  const cap = Number.isFinite(raw0) ? raw0 * 3 : Math.max(...all);
  const top = Math.min(Math.max(...all), cap) * 1.08;
  const step = niceStep(top / 6);
  const yMax = Math.ceil(top / step) * step;
  const x = (n: number): number => margin.left + (n / 10) * plotW;
  const y = (v: number): number => margin.top + plotH - (Math.min(v, yMax) / yMax) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="22" font-size="15" font-weight="bold">Server CPU per request (µs) against middleware layers N</text>`,
    `<defs><clipPath id="plot"><rect x="${margin.left}" y="${margin.top - 4}" width="${plotW + 8}" height="${plotH + 8}"/></clipPath></defs>`,
  );
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    out.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Number(v.toFixed(6))}</text>`,
    );
  }
  for (const n of LAYERS) {
    out.push(
      `<line x1="${x(n)}" x2="${x(n)}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 5}" stroke="#333"/>`,
      `<text x="${x(n)}" y="${margin.top + plotH + 20}" text-anchor="middle">${n}</text>`,
    );
  }
  out.push(
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 14}" text-anchor="middle">N (layers, each adding one response header)</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">server CPU µs / request (median of rounds)</text>`,
  );
  if (Number.isFinite(raw0)) {
    for (const factor of [1.1, 1.2]) {
      const yy = y(raw0 * factor).toFixed(1);
      out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${yy}" y2="${yy}" stroke="#999" stroke-dasharray="2 4"/>`);
    }
  }
  const legendX = margin.left + plotW + 24;
  series.forEach((s, i) => {
    const color = COLORS[s.contestant.key] ?? '#000';
    const dash = s.contestant.key === 'raw' ? ' stroke-dasharray="6 4"' : '';
    const strokeWidth = s.contestant.key === 'stackware' ? 3 : 2;
    const pts = s.points.map((p) => `${x(p.n).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    out.push(`<g clip-path="url(#plot)"><polyline points="${pts}" fill="none" stroke="${color}" stroke-width="${strokeWidth}"${dash}/></g>`);
    for (const p of s.points) {
      if (p.y > yMax) {
        out.push(
          `<path d="M${(x(p.n) - 5).toFixed(1)},${(margin.top + 2).toFixed(1)} l5,-8 l5,8 z" fill="${color}"/>`,
          `<text x="${(x(p.n) + (p.n === 10 ? -8 : 8)).toFixed(1)}" y="${(margin.top + 14 + 12 * (i % 3)).toFixed(1)}" text-anchor="${p.n === 10 ? 'end' : 'start'}" fill="${color}" font-size="10">${fmt(p.y, 0)}</text>`,
        );
      } else {
        out.push(`<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3.5" fill="${color}"/>`);
      }
    }
    const ly = margin.top + 10 + i * 22;
    const last = s.points[s.points.length - 1];
    out.push(
      `<line x1="${legendX}" x2="${legendX + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="${strokeWidth}"${dash}/>`,
      `<text x="${legendX + 30}" y="${ly + 4}">${escapeXml(s.contestant.label)} (${fmt(last.y, 0)} at ${last.n})</text>`,
    );
  });
  const noteY = margin.top + 10 + series.length * 22;
  out.push(
    `<line x1="${legendX}" x2="${legendX + 24}" y1="${noteY}" y2="${noteY}" stroke="#999" stroke-dasharray="2 4"/>`,
    `<text x="${legendX + 30}" y="${noteY + 4}">1.10 × and 1.20 × raw at N=0 (targets)</text>`,
    `<text x="${legendX}" y="${noteY + 26}" fill="#777" font-size="10">lower is better; ▲ = off scale (value shown)</text>`,
    `<text x="${legendX}" y="${noteY + 40}" fill="#777" font-size="10">raw node:http at N=10 sets 10 headers inline</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Why a run has no instruction counts, in a few words. */
function missingInstructions(perf: string | undefined): string {
  if (perf === undefined) return 'not recorded (a run from before instruction counts were added to the suite)';
  return perf.startsWith('not used: ') ? `not recorded: ${perf.slice('not used: '.length)}` : 'not recorded (no rounds counting instructions: BENCH_COUNT_ROUNDS=0)';
}

/** Instructions per request of every cell (median of the same runs as the CPU table), or one line saying why there are none. */
function httpInstructionSection(http: HttpResults, perf: string | undefined): string[] {
  if (!hasInstructions(http)) return ['## HTTP: server instructions per request', '', `n/a: ${missingInstructions(perf)}.`, ''];
  const cellText = (c: (typeof CONTESTANTS)[number], n: number, metric: Metric): string => {
    const cell = http.cells.find((x) => x.contestant.key === c.key && x.layers === n);
    if (cell === undefined || cell.samples.length === 0) return '';
    const values = usableFor(cell, metric).map((s) => valueOf(s, metric));
    return values.length === 0 ? 'n/a' : `${kilo(median(values))}${values.length > 1 ? ` (${kilo(Math.min(...values))}–${kilo(Math.max(...values))})` : ''}`;
  };
  const metricTable = (metric: Metric): string =>
    table(
      ['contestant', ...LAYERS.map((n) => `N=${n}`)],
      CONTESTANTS.map((c) => [c.label, ...LAYERS.map((n) => cellText(c, n, metric))]),
    );
  // How much more CPU time the servers used per request while perf counted (median over the cells).
  const slowdown = median(
    http.cells.map((c) => median(runsOf(c, 'instructionsPerRequest').map((s) => s.cpuPerRequest)) / medianOf(c)).filter(Number.isFinite),
  );
  const rounds = http.countRounds ?? Math.max(0, ...http.cells.map((c) => runsOf(c, 'instructionsPerRequest').length));
  return [
    '## HTTP: server instructions per request',
    '',
    'The instructions the server process executed (all its threads, user space and kernel, as CPU time counts utime and stime), counted by ' +
      '`perf stat -e instructions,instructions:u -p <pid>`, divided by the requests the load generator completed; thousands per request, median (lowest–highest). ' +
      `They come from ${rounds} more round${rounds === 1 ? '' : 's'} after the CPU-timed ones, with the same blocks (each block also times raw node:http at N=0) and ${http.seconds} s runs, every run under perf: ` +
      'perf attaches 100 ms before the load starts and is stopped after it ends (the idle server executes almost nothing meanwhile). ' +
      'They are not counted during the CPU-timed runs because on this virtual machine an active hardware counter makes the counted process use more CPU time, kernel time mostly ' +
      `(the hypervisor emulates the counters): in this run the servers used a median ${fmt(slowdown, 2)} × their CPU time per request while counted, and served fewer requests per second. ` +
      'Why they are here: on this shared machine CPU time per request moves with the neighbours (raw node:http has measured 26 to 90 µs per request), while an instruction count repeats within a few % from run to run, ' +
      'so it shows differences between cells that CPU time drowns. It does not see cache misses, memory stalls or the clock frequency, and an instruction is not a fixed amount of time, ' +
      'so CPU time stays the primary figure and the verdicts stay on it; the targets table repeats each HTTP ratio by instruction count beside its verdict.',
    '',
    metricTable('instructionsPerRequest'),
    '',
    'Of which in user space (`instructions:u`), thousands per request:',
    '',
    metricTable('userInstructionsPerRequest'),
    '',
  ];
}

function httpSections(http: HttpResults, perfNote: string | undefined): string[] {
  const out: string[] = [];
  const range = (values: number[], digits: number): string =>
    values.length > 1 ? ` (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})` : '';
  out.push(
    '## HTTP: server CPU per request',
    '',
    `\`GET /\` answering \`{"message":"hello"}\`; every layer adds one response header. Each server is validated, then warmed up for ${http.warmup} s (not counted); ` +
      `then ${http.rounds} rounds time every cell for ${http.seconds} s${http.roundWarmup > 0 ? ` (after ${http.roundWarmup} s more warm-up)` : ''}. A round is ${LAYERS.length} blocks, one per N in a shuffled order; ` +
      'a block times every cell with that N and raw node:http at N=0, in a shuffled order, so the runs a ratio compares are seconds apart (raw node:http at N=0 is timed once per block). All servers stay up for the whole run. ' +
      'Server CPU is utime + stime of the server process (all its threads) from `/proc/<pid>/stat` before and after the timed run, ' +
      'divided by the requests the load generator completed. Median of the rounds, (lowest–highest). ' +
      `A run is *noisy* when other processes (this machine is shared) used more than ${http.maxInterference} cores during it: the machine's busy time from \`/proc/stat\` minus the server's and the load generator's. ` +
      `A noisy run is measured again right away (${http.retries} second attempts, within a budget of ${http.retryBudget} s) and the quieter attempt is kept; ` +
      `medians and ratios use the quiet runs only, where a cell (or, for a ratio, a round) has any. ` +
      `${http.cells.reduce((n, c) => n + c.samples.filter((x) => !x.noisy).length, 0)} of ${http.cells.reduce((n, c) => n + c.samples.length, 0)} kept runs were quiet; a cell marked [k/n quiet] had noisy ones.`,
    '',
    '![server CPU µs per request against N](cpu-per-request.svg)',
    '',
  );
  const contestants = CONTESTANTS;
  out.push(
    table(
      ['contestant', ...LAYERS.map((n) => `N=${n}`)],
      contestants.map((c) => [
        c.label,
        ...LAYERS.map((n) => {
          const cell = http.cells.find((x) => x.contestant.key === c.key && x.layers === n);
          if (cell === undefined) return '';
          if (cell.problems.length > 0) return `invalid: ${cell.problems.join('; ')}`;
          const values = usableFor(cell, 'cpuPerRequest').map((s) => s.cpuPerRequest);
          const quiet = cell.samples.filter((s) => !s.noisy).length;
          return `${fmt(median(values), 1)} µs${range(values, 1)}${quiet < cell.samples.length ? ` [${quiet}/${cell.samples.length} quiet]` : ''}`;
        }),
      ]),
    ),
    '',
    ...httpInstructionSection(http, perfNote),
    '## HTTP: throughput',
    '',
    `Requests per second with ${CONNECTIONS} keep-alive connections from one load-generator thread on the other core; median of the rounds (lowest–highest). ` +
      'On a shared machine this moves with the neighbours; the CPU figures above are the ones to compare.',
    '',
    table(
      ['contestant', ...LAYERS.map((n) => `N=${n}`)],
      contestants.map((c) => [
        c.label,
        ...LAYERS.map((n) => {
          const cell = http.cells.find((x) => x.contestant.key === c.key && x.layers === n);
          if (cell === undefined || cell.samples.length === 0) return '';
          const values = usableFor(cell, 'cpuPerRequest').map((s) => s.rps);
          return `${fmtInt(median(values))}${values.length > 1 ? ` (${fmtInt(Math.min(...values))}–${fmtInt(Math.max(...values))})` : ''}`;
        }),
      ]),
    ),
    '',
  );
  const errors = http.cells.flatMap((c) => c.samples.filter((s) => s.errors + s.non2xx > 0).map((s) => `${c.contestant.label} N=${c.layers} round ${s.round + 1}: ${s.errors} socket errors, ${s.non2xx} non-2xx`));
  if (errors.length > 0) out.push('Load-generator errors (these samples still count):', '', ...errors.map((e) => `- ${e}`), '');
  const raw0 = cellOf(http, 'raw', 0);
  out.push(
    '### Ratios within each round',
    '',
    'Server CPU per request of stackware over the other cell, computed inside each block of each round (both runs seconds apart), then the median over the rounds where both runs were quiet; in parentheses, each of those rounds.',
    '',
    table(
      ['N', 'stackware / raw N=0', 'stackware / raw, body as bytes, N=0', 'stackware / Fastify', 'stackware / Hono', 'stackware / Koa', 'stackware / Express', "app.middleware('http') / raw N=0"],
      LAYERS.map((n) => {
        const sw = cellOf(http, 'stackware', n);
        const cellRatio = (b: Cell | undefined, a = sw): string => {
          const r = roundRatios(a, b);
          return r.perRound.length === 0 ? '—' : `${fmt(r.median, 3)} (${r.perRound.map((v) => fmt(v, 2)).join(', ')})`;
        };
        return [String(n), cellRatio(raw0), cellRatio(cellOf(http, 'raw-bytes', 0)), cellRatio(cellOf(http, 'fastify', n)), cellRatio(cellOf(http, 'hono', n)), cellRatio(cellOf(http, 'koa', n)), cellRatio(cellOf(http, 'express', n)), cellRatio(raw0, cellOf(http, 'stackware-fn', n))];
      }),
    ),
    '',
    'Peak RSS of each server over all its rounds (VmHWM, MiB): ' +
      http.cells
        .filter((c) => Number.isFinite(c.peakRss))
        .map((c) => `${c.contestant.label} N=${c.layers} ${mib(c.peakRss)}`)
        .join(', ') +
      '.',
    '',
  );
  return out;
}

function microSections(micro: MicroResults): string[] {
  const out: string[] = [];
  const names = [...new Set(micro.series.map((s) => s.name))];
  out.push(
    '## In-process dispatch (no socket)',
    '',
    'One request through N layers and the route, in one process, timed with mitata (`measure`, the median time of one call). ' +
      "stackware: `app.handle(new Request(fakeSource))` (a `RequestSource` for `GET /` with no headers), the endpoint returning `{ message: 'hello' }`. " +
      "koa-compose: the composed function on a minimal context object (`ctx.set` checks the name and value with node:http's `validateHeaderName`/`validateHeaderValue`, as Koa's `ctx.set` → `res.setHeader` does, and stores the header lower-cased). " +
      "Hono: `app.request('/')` (which builds a web `Request` and returns a web `Response`: a large constant cost, but the slope is what counts). " +
      '*pass*: each layer only awaits the next one; *header*: each layer also sets one response header after it, as in the HTTP benchmark. ' +
      `Each cell is measured in ${micro.rounds} rounds; the table shows the lowest of the rounds' medians (ns per request), and the slope is the least-squares fit of those against N: the cost of one more layer.`,
    '',
  );
  for (const variant of ['pass', 'header'] as const) {
    out.push(
      `### ${variant === 'pass' ? 'Pass-through layers' : 'Header-setting layers'}`,
      '',
      table(
        ['contestant', ...micro.layers.map((n) => `N=${n}`), 'per layer (slope)', 'slope per round'],
        names.map((name) => {
          const s = micro.series.find((x) => x.name === name && x.variant === variant) as MicroSeries;
          return [name, ...s.points.map((p) => `${fmtInt(p.best)} ns`), `**${fmt(s.slope, 0)} ns**`, s.roundSlopes.map((v) => fmt(v, 0)).join(', ')];
        }),
      ),
      '',
    );
  }
  return out;
}

function countSections(icount: CountResults): string[] {
  const row = (s: CountSeries): string[] => [
    s.name,
    s.variant === 'pass' ? 'pass-through' : 'header-setting',
    fmtInt(s.n0),
    fmtInt(s.n10),
    `**${fmtInt(s.perLayer)}**`,
    ...(icount.rounds > 1 ? [s.roundPerLayer.map(fmtInt).join(', ')] : []),
  ];
  return [
    '## In-process instructions (no socket)',
    '',
    `The dispatch of the microbenchmark above (the same cases, from \`micro-cases.mjs\`), run ${fmtInt(icount.counts[0])} and ${fmtInt(icount.counts[1])} times in a row in a fresh process each, ` +
      'pinned to the server core, under `perf stat -e instructions:u` (user space, the whole process). The difference of the two counts over the difference of the numbers of requests ' +
      "is the instructions of one request: the process's start-up, imports, set-up and the JIT's warm-up cancel. Per layer: (N=10 − N=0) / 10. " +
      `${icount.rounds > 1 ? `Median of ${icount.rounds} rounds. ` : ''}Counted this way, a layer's instructions repeat within a few % from run to run, where the ns per layer of five full runs spread by up to 30 % (README.md); ` +
      'like the HTTP counts they do not see cache misses or the clock frequency, so the ns figures above stay the verdict.',
    '',
    table(['contestant', 'layers', 'N=0, instructions/request', 'N=10, instructions/request', 'per layer', ...(icount.rounds > 1 ? ['per layer by round'] : [])], icount.series.map(row)),
    '',
  ];
}

function streamSections(stream: StreamResults): string[] {
  const out: string[] = [];
  const row = (r: StreamRun): string[] => [
    r.mode,
    r.style === 'raw' ? 'raw node:http pipe' : `stackware, ${STREAM_LAYERS} layers`,
    String(r.round + 1),
    `${mib(r.bytes)} MiB`,
    `${fmt(r.ms / 1000, 2)} s`,
    `${fmtInt(r.throughput)} MiB/s`,
    `${fmt(r.serverCpuMs, 0)} ms`,
    `${mib(r.peakRss)} MiB`,
    r.stats ? `${kib(r.stats.peakBuffered)} KiB` : '',
    r.stats ? `${mib(r.stats.produced - r.bytes)} MiB` : '',
    r.problems.length > 0 ? r.problems.join('; ') : 'ok',
  ];
  out.push(
    '## Streaming',
    '',
    `The body is ${mib(stream.bytes)} MiB in ${kib(CHUNK)} KiB chunks, the same Buffer yielded again and again by an async generator. ` +
      `*raw*: \`pipeline(Readable.from(generator), res)\` on node:http; *stackware*: a \`StreamingResponse\` of the generator behind ${STREAM_LAYERS} \`BaseHTTPMiddleware\` layers that each set a header. ` +
      'A fresh server per run (so VmHWM is that run\'s peak RSS); server on one core, client on the other. ' +
      `The fast client reads as fast as it can; the slow one reads ${mib(stream.slowRate)} MiB/s for ${stream.slowSeconds} s, asks the server for its counters on another connection, then goes away. ` +
      '*Peak buffered* is the largest `res.writableLength` right after a `res.write` (bytes held in user space by the response and its socket); ' +
      '*in flight* is what the generator produced minus what the client had read (kernel socket buffers on both sides included, and for the raw pipe the read-ahead of `Readable.from`).',
    '',
    table(['reader', 'server', 'round', 'bytes', 'time', 'throughput', 'server CPU', 'peak RSS', 'peak buffered', 'in flight', 'check'], stream.runs.map(row)),
    '',
  );
  const slow = stream.runs.filter((r) => r.mode === 'slow');
  for (const r of slow) {
    if (r.after) {
      out.push(
        `- slow reader, ${r.style}: after the client went away the generator had produced ${mib(r.after.produced)} MiB and was ${r.after.stopped ? 'stopped (its `finally` ran)' : '**not** stopped'}.`,
      );
    }
  }
  out.push('');
  return out;
}

function profileSections(profile: ProfileResults): string[] {
  const out: string[] = [];
  const pct = (share: number): string => `${fmt(share * 100, 1)} %`;
  out.push(
    '## Where the time goes: CPU profile of stackware, N=10',
    '',
    `\`${profile.command}\`, loaded with \`${profile.loadCommand}\` after a warm-up; the server then gets SIGTERM and writes \`${profile.file}\` (git-ignored). ` +
      `${fmtInt(profile.samples)} samples (every ~${fmt(profile.intervalMicros, 0)} µs); under the profiler the server used ${fmt(profile.cpuPerRequest, 1)} µs CPU/request ` +
      '(sampling adds its own cost). Shares are of the non-idle samples, by self time.',
    '',
    table(
      ['category', 'self time'],
      profile.categories.map((c) => [c.category, pct(c.share)]),
    ),
    '',
    "stackware's own code, by source file: " + (profile.stackwareFiles.map((f) => `${f.file} ${pct(f.share)}`).join(', ') || 'none') + '.',
    '',
    'Top functions by self time:',
    '',
    table(
      ['self time', 'function', 'where', 'category'],
      profile.top.map((e) => [pct(e.share), `\`${e.name.replace(/\|/g, '\\|')}\``, e.location, e.category]),
    ),
    '',
  );
  return out;
}

export function renderMarkdown(results: SuiteResults, analysis: string[]): string {
  const m = results.machine;
  const out: string[] = [
    '# stackware benchmark results',
    '',
    `Written by \`npm run bench\` (\`bench/run.ts\`) on ${results.date.toISOString().replace('T', ' ').slice(0, 16)} UTC; the whole suite took ${fmt(results.durationSeconds / 60, 1)} minutes. ` +
      'Do not edit by hand: run the suite again. The suite and its method are described in [README.md](README.md).',
    '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['cores (nproc)', String(m.nproc)],
        ['CPU', m.cpuModel],
        ['memory', m.memory],
        ['kernel', m.kernel],
        ['Node.js', m.node],
        ['load generator', m.loadGenerator],
        ['pinning', m.pinned ? 'servers `taskset -c 1`, load generator and clients `taskset -c 0`' : '**none** (taskset missing or a single core): numbers are less reliable'],
        ['instruction counts (perf)', m.perf ?? 'not recorded'],
        ['load average at start', m.loadAverage],
        [
          'calibration loop (before / after)',
          `${results.calibration.map((c) => `${fmt(c, 1)} ms`).join(' / ')} of CPU for a fixed integer loop on the server core (25–33 ms in the runs made so far; more means neighbours share the physical core)`,
        ],
      ],
    ),
    '',
    'A shared virtual machine: neighbours take CPU time and cache at random moments. Throughput moves with them; CPU time per request ' +
      'moves less but still moves (raw node:http has measured 26 to 90 µs per request on this machine), which is why the targets are judged on it, ' +
      'as ratios between runs of the same block, and why [README.md](README.md#findings-hand-written-november-2026) gives the spread over several full runs. ' +
      'Instruction counts (perf) are reported beside CPU time because they repeat within a few % here whatever the neighbours do; ' +
      'they do not see cache misses, memory stalls or the clock frequency, so CPU time stays the primary figure and the verdicts are judged on it.',
    '',
    '## Commands',
    '',
    ...results.commands.map((c) => `- ${c}`),
    '',
  ];
  const targets: TargetRow[] = [
    ...(results.http ? httpTargets(results.http) : []),
    ...(results.micro ? microTargets(results.micro, results.icount) : []),
    ...(results.stream ? streamTargets(results.stream) : []),
  ];
  const companions = targets.some((t) => t.byInstructions === true);
  out.push(
    '## Targets (issue 5)',
    '',
    ...(companions
      ? [
          'Each HTTP target is judged on CPU time per request. The row *by instruction count* under it takes the same ratio from the servers\' instructions per request ' +
            "(each cell's fewest instructions per request over its counted runs, then their ratio; in parentheses the ratio within each block of the counting rounds), against the same threshold: shown for comparison (in plain type), not counted among the targets. " +
            'The fewest, not the median: a disturbance, or a long-lived server settling into worse optimized code, only ever adds instructions. A server that settled so before its first counted run (see the per-cell table: all its counts 40–50 % above its neighbours) still skews every ratio it is in; README.md lists those of the recorded run.',
          '',
        ]
      : []),
    table(
      ['target', 'measured', 'result'],
      targets.map((t) => [t.target, t.measured, t.byInstructions === true ? pass(t.ok).replace(/\*\*/g, '') : pass(t.ok)]),
    ),
    '',
  );
  if (results.http && !companions) out.push(`HTTP ratios by instruction count: n/a, ${missingInstructions(m.perf)}.`, '');
  if (analysis.length > 0) {
    out.push(
      ...analysis,
      '- Where each target stands and why (the cost of the headers in node:http itself, the promise turn per layer, one process\'s JIT state), and the changes made in lib/ with their instruction counts before and after, are in [README.md](README.md#findings-hand-written-november-2026).',
      '',
    );
  }
  if (results.http) out.push(...httpSections(results.http, results.machine.perf));
  if (results.micro) out.push(...microSections(results.micro));
  if (results.icount) out.push(...countSections(results.icount));
  if (results.stream) out.push(...streamSections(results.stream));
  if (results.profile) out.push(...profileSections(results.profile));
  if (results.notes.length > 0) out.push('## Notes', '', ...results.notes.map((n) => `- ${n}`), '');
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** The verdicts, for the console. */
export function targetSummary(results: SuiteResults): { passed: number; failed: number; lines: string[] } {
  const rows: TargetRow[] = [
    ...(results.http ? httpTargets(results.http) : []),
    ...(results.micro ? microTargets(results.micro, results.icount) : []),
    ...(results.stream ? streamTargets(results.stream) : []),
  ];
  const verdicts = rows.filter((r) => r.byInstructions !== true);
  return {
    passed: verdicts.filter((r) => r.ok === true).length,
    failed: verdicts.filter((r) => r.ok === false).length,
    // A row by instruction count is shown in parentheses: it is no verdict.
    lines: rows.map((r) =>
      r.byInstructions === true
        ? `  (${r.ok === undefined ? '-' : r.ok ? 'pass' : 'FAIL'})  ${r.target}: ${r.measured}`
        : `${r.ok === undefined ? '  -  ' : r.ok ? ' pass' : ' FAIL'}  ${r.target}: ${r.measured}`,
    ),
  };
}

/** The opening summary: headline numbers, what is not met and by how much, what the profile says. */
export function summaryLines(results: SuiteResults): string[] {
  const out: string[] = ['## Summary', ''];
  const http = results.http;
  if (http) {
    const raw0 = medianOf(cellOf(http, 'raw', 0));
    const describe = (key: string): string =>
      LAYERS.map((n) => `${fmt(medianOf(cellOf(http, key, n)), 1)}`).join(' / ');
    out.push(
      `- Server CPU per request (µs, N = ${LAYERS.join(' / ')}): raw node:http ${fmt(raw0, 1)} at N=0; ` +
        CONTESTANTS.filter((c) => c.key !== 'raw')
          .map((c) => `${c.label} ${describe(c.key)}`)
          .join('; ') +
        '.',
    );
    const twins = roundRatios(cellOf(http, 'stackware', 0), cellOf(http, 'stackware-fn', 0));
    const r0 = roundRatios(cellOf(http, 'stackware', 0), cellOf(http, 'raw', 0)).median;
    const r10 = roundRatios(cellOf(http, 'stackware', 10), cellOf(http, 'raw', 0)).median;
    const raw10 = roundRatios(cellOf(http, 'raw', 10), cellOf(http, 'raw', 0)).median;
    const bytes = roundRatios(cellOf(http, 'raw-bytes', 0), cellOf(http, 'raw', 0)).median;
    const swBytes = roundRatios(cellOf(http, 'stackware', 0), cellOf(http, 'raw-bytes', 0)).median;
    out.push(
      `- stackware (class) costs ${fmt(r0, 2)} × raw node:http at N=0 and ${fmt(r10, 2)} × at N=10 (ratios within rounds). ` +
        `For scale: raw node:http itself costs ${fmt(raw10, 2)} × when it sets the same 10 headers inline, and ${fmt(bytes, 2)} × when it sends the body as a ` +
        `\`Uint8Array\` from \`TextEncoder\` (how stackware holds a body) instead of a string; stackware at N=0 is ${fmt(swBytes, 2)} × that bytes-body floor.`,
      `- How much to trust a ratio: at N=0 the two stackware rows run the same code, yet their CPU per request differs by a median ${fmt(Math.abs(twins.median - 1) * 100, 0)} % ` +
        `(rounds: ${twins.perRound.map((v) => fmt(v, 2)).join(', ')}). Differences of that size between cells are within this run's noise.`,
    );
    if (hasInstructions(http)) {
      const by = (key: string, n: number, of = 'raw', m = 0): number => roundRatios(cellOf(http, key, n), cellOf(http, of, m), 'instructionsPerRequest').median;
      const insTwins = roundRatios(cellOf(http, 'stackware', 0), cellOf(http, 'stackware-fn', 0), 'instructionsPerRequest');
      out.push(
        `- By instruction count (server, user + kernel; fewest per cell): raw node:http executes ${kilo(fewest(cellOf(http, 'raw', 0) as Cell, 'instructionsPerRequest'))} instructions per request at N=0; ` +
          `stackware (class) ${fmt(by('stackware', 0), 2)} × that at N=0 and ${fmt(by('stackware', 10), 2)} × at N=10; raw node:http with 10 headers ${fmt(by('raw', 10), 2)} ×, ` +
          `with a bytes body ${fmt(by('raw-bytes', 0), 2)} ×. The two stackware rows at N=0 differ by ${fmt(Math.abs(insTwins.median - 1) * 100, 1)} % by this count (fewest against fewest).`,
      );
    }
  }
  if (results.micro) {
    const s = (name: string, variant: 'pass' | 'header'): number => results.micro?.series.find((x) => x.name === name && x.variant === variant)?.slope ?? Number.NaN;
    out.push(
      `- One more layer, in process: stackware (class) ${fmt(s('stackware (class)', 'pass'), 0)} ns pass-through / ${fmt(s('stackware (class)', 'header'), 0)} ns setting a header; ` +
        `koa-compose ${fmt(s('koa-compose', 'pass'), 0)} / ${fmt(s('koa-compose', 'header'), 0)} ns; Hono ${fmt(s('hono', 'pass'), 0)} / ${fmt(s('hono', 'header'), 0)} ns.`,
    );
  }
  if (results.icount) {
    const c = (name: string, variant: 'pass' | 'header'): string => fmtInt(results.icount?.series.find((x) => x.name === name && x.variant === variant)?.perLayer ?? Number.NaN);
    out.push(
      `- One more layer, in instructions (user space): stackware (class) ${c('stackware (class)', 'pass')} pass-through / ${c('stackware (class)', 'header')} setting a header; ` +
        `stackware (function) ${c('stackware (function)', 'pass')} / ${c('stackware (function)', 'header')}; koa-compose ${c('koa-compose', 'pass')} / ${c('koa-compose', 'header')}.`,
    );
  }
  if (results.stream) {
    const fast = results.stream.runs.filter((r) => r.mode === 'fast' && r.problems.length === 0);
    const tp = (style: string): number => median(fast.filter((r) => r.style === style).map((r) => r.throughput));
    const rss = Math.max(...fast.filter((r) => r.style === 'stackware').map((r) => r.peakRss));
    out.push(
      `- Streaming ${mib(results.stream.bytes)} MiB: stackware through ${STREAM_LAYERS} layers ${fmtInt(tp('stackware'))} MiB/s, raw pipe ${fmtInt(tp('raw'))} MiB/s; stackware server peak RSS ${mib(rss)} MiB.`,
    );
  }
  const verdicts = targetSummary(results);
  const failed = verdicts.lines.filter((l) => l.startsWith(' FAIL'));
  out.push(`- Targets: ${verdicts.passed} met, ${verdicts.failed} not met${failed.length > 0 ? ':' : '.'}`);
  for (const line of failed) out.push(`  - ${line.slice(6)}`);
  const companions = verdicts.lines.filter((l) => l.startsWith('  ('));
  if (companions.length > 0) {
    const within = companions.filter((l) => l.startsWith('  (pass)')).length;
    out.push(`- By instruction count (no verdict): ${within} of ${companions.length} HTTP target ratios are within their thresholds.`);
  }
  if (results.profile) {
    const p = results.profile;
    const share = (prefix: string): number => p.categories.filter((c) => c.category.startsWith(prefix)).reduce((s, c) => s + c.share, 0);
    out.push(
      `- Profile of stackware N=10 (self time): ${fmt(share('stackware') * 100, 0)} % in stackware's own code, ` +
        `${fmt((share('node:http') + share('node:net')) * 100, 0)} % in node:http/net/streams JS, ${fmt(share('garbage') * 100, 0)} % in the garbage collector, ` +
        `${fmt(share('socket writes') * 100, 0)} % in the socket write system calls, ` +
        `${fmt(share('V8 and native') * 100, 0)} % in unattributed V8/native code, ${fmt(share('native functions') * 100, 0)} % in other native builtins (microtask runs, text encoding, regexps). ` +
        `Heaviest stackware functions: ${p.top.filter((e) => e.category.startsWith('stackware')).slice(0, 5).map((e) => `\`${e.name}\` (${e.location}, ${fmt(e.share * 100, 1)} %)`).join(', ') || 'none in the top 20'}.`,
    );
  }
  return out;
}
