// The HTTP benchmark: every contestant in its own server process pinned to the server core,
// the load generator pinned to the other one, 50 keep-alive connections on 127.0.0.1. Each
// server is validated first. Then rounds: each round is four blocks, one per N in a shuffled order;
// a block times, in a shuffled order, every cell with that N and raw node:http at N=0, so that the
// cells a ratio compares are measured seconds apart. Where perf counts instructions, more rounds of
// the same blocks follow, each run under `perf stat -p`: the server's instructions per request.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_DIR,
  CLIENT_CORE,
  countInstructions,
  cpuMicros,
  describeCommand,
  httpGet,
  log,
  machineBusyMicros,
  pinned,
  runMeasured,
  shuffled,
  startServer,
  tryExec,
  vmBytes,
  type ServerProcess,
} from './common.js';

export const CONNECTIONS = 50;
export const LAYERS = [0, 1, 5, 10] as const;

export interface Contestant {
  key: string;
  label: string;
  script: string;
  args: string[];
  /** The layer counts this contestant runs at. */
  layers: readonly number[];
  /** What a "layer" is for this contestant. */
  layer: string;
}

export const CONTESTANTS: readonly Contestant[] = [
  { key: 'raw', label: 'raw node:http', script: 'raw.mjs', args: [], layers: [0, 10], layer: 'an inline `res.setHeader` (N = 0 is the floor)' },
  { key: 'raw-bytes', label: 'raw node:http, body as bytes', script: 'raw.mjs', args: ['--body=bytes'], layers: [0], layer: 'the body sent as a `Uint8Array` from `TextEncoder`, as stackware holds it' },
  { key: 'stackware', label: 'stackware (class)', script: 'stackware.mjs', args: ['--style=class'], layers: LAYERS, layer: '`BaseHTTPMiddleware` subclass, `r.headers.set` after `await callNext(request)`' },
  { key: 'stackware-fn', label: "stackware (app.middleware('http'))", script: 'stackware.mjs', args: ['--style=fn'], layers: LAYERS, layer: "function registered with `app.middleware('http')`, same body" },
  { key: 'fastify', label: 'Fastify', script: 'fastify.mjs', args: [], layers: LAYERS, layer: '`onSend` hook (callback form) calling `reply.header`' },
  { key: 'hono', label: 'Hono', script: 'hono.mjs', args: [], layers: LAYERS, layer: '`app.use` middleware, `c.header` after `await next()`' },
  { key: 'koa', label: 'Koa', script: 'koa.mjs', args: [], layers: LAYERS, layer: '`app.use` middleware, `ctx.set` after `await next()`' },
  { key: 'express', label: 'Express', script: 'express.mjs', args: [], layers: LAYERS, layer: '`app.use` middleware, `res.setHeader` then `next()`' },
];

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Socket errors and timeouts. */
  errors: number;
  non2xx: number;
  /** CPU time the load generator used, µs. */
  clientCpuMicros: number;
}

/** A load generator: wrk from the distribution, or autocannon from the bench's dependencies. */
export interface LoadGenerator {
  name: string;
  version: string;
  /** The command, with PORT and SECONDS in place of the values. */
  template: string;
  run(port: number, seconds: number): Promise<LoadResult>;
}

export function findLoadGenerator(): LoadGenerator {
  const wrkVersion = tryExec('wrk', ['--version']) ?? tryWrkVersion();
  if (wrkVersion !== null) {
    const argv = (port: number, seconds: number): [string, string[]] =>
      pinned(CLIENT_CORE, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '10s', `http://127.0.0.1:${port}/`]);
    const [file, args] = argv(0, 0);
    return {
      name: 'wrk',
      version: wrkVersion.split('\n')[0],
      template: describeCommand(file, args).replace(':0/', ':PORT/').replace('-d0s', '-dSECONDSs'),
      async run(port, seconds) {
        const [f, a] = argv(port, seconds);
        const { stdout, cpuMicros: clientCpuMicros } = await runMeasured(f, a, (seconds + 30) * 1000);
        return { ...parseWrk(stdout), clientCpuMicros };
      },
    };
  }
  const autocannon = join(BENCH_DIR, 'node_modules', 'autocannon', 'autocannon.js');
  if (!existsSync(autocannon)) {
    throw new Error('No load generator: install wrk (`apt-get install -y wrk` on Debian) or run `npm --prefix bench ci` for autocannon');
  }
  log('wrk not found: falling back to autocannon (a Node load generator, slower than wrk: see RESULTS.md)');
  const argv = (port: number, seconds: number): [string, string[]] =>
    pinned(CLIENT_CORE, process.execPath, [autocannon, '-c', String(CONNECTIONS), '-d', String(seconds), '-j', `http://127.0.0.1:${port}/`]);
  const [file, args] = argv(0, 0);
  return {
    name: 'autocannon',
    version: tryExec(process.execPath, [autocannon, '--version']) ?? 'unknown',
    template: describeCommand(file, args).replace(':0/', ':PORT/').replace('-d 0', '-d SECONDS'),
    async run(port, seconds) {
      const [f, a] = argv(port, seconds);
      const { stdout, cpuMicros: clientCpuMicros } = await runMeasured(f, a, (seconds + 30) * 1000);
      const out = JSON.parse(stdout.trim().split('\n').pop() as string);
      const requests = Number(out.requests.total);
      const elapsed = Number(out.duration);
      return {
        requests,
        seconds: elapsed,
        rps: requests / elapsed,
        errors: Number(out.errors) + Number(out.timeouts),
        non2xx: Number(out.non2xx),
        clientCpuMicros,
      };
    },
  };
}

/** Debian's wrk prints its version with a non-zero exit status. */
function tryWrkVersion(): string | null {
  const out = tryExec('sh', ['-c', 'wrk --version 2>&1; true']);
  return out !== null && /^wrk /m.test(out) ? out : null;
}

export function parseWrk(output: string): Omit<LoadResult, 'clientCpuMicros'> {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(output);
  if (total === null) throw new Error(`Cannot read wrk's output:\n${output}`);
  const unit = { us: 1e-6, ms: 1e-3, s: 1, m: 60 }[total[3] as 'us' | 'ms' | 's' | 'm'];
  const requests = Number(total[1]);
  const seconds = Number(total[2]) * unit;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = socket === null ? 0 : socket.slice(1).reduce((s, v) => s + Number(v), 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? requests / seconds);
  return { requests, seconds, rps, errors, non2xx };
}

/** Checks one response of a contestant: status, body, content type and exactly the N headers. */
export async function validate(port: number, layers: number): Promise<string[]> {
  const problems: string[] = [];
  const res = await httpGet(port);
  if (res.status !== 200) problems.push(`status ${res.status}`);
  try {
    const body = JSON.parse(res.body) as unknown;
    if (JSON.stringify(body) !== '{"message":"hello"}') problems.push(`body ${res.body}`);
  } catch {
    problems.push(`body is not JSON: ${res.body.slice(0, 80)}`);
  }
  if (!String(res.headers['content-type']).startsWith('application/json')) problems.push(`content-type ${res.headers['content-type']}`);
  for (let i = 0; i < layers; i++) if (res.headers[`x-mw-${i}`] !== '1') problems.push(`x-mw-${i} missing`);
  const extra = Object.keys(res.headers).filter((h) => /^x-mw-\d+$/.test(h) && Number(h.slice(5)) >= layers);
  if (extra.length > 0) problems.push(`unexpected ${extra.join(', ')}`);
  return problems;
}

export interface Sample {
  round: number;
  /** The block of the round (its N) this run belongs to: ratios pair runs of one block. */
  block: number;
  /** Position in the block's order. */
  position: number;
  rps: number;
  requests: number;
  /** Server CPU (user + system, all threads) per request, µs. */
  cpuPerRequest: number;
  /**
   * Instructions the server (all threads) executed per request, user + kernel, counted by
   * `perf stat -p` over the run: only in {@link Cell.counted}'s runs, NaN in the CPU-timed ones
   * (absent in older results).
   */
  instructionsPerRequest: number;
  /** The same, user space only (`instructions:u`). */
  userInstructionsPerRequest: number;
  errors: number;
  non2xx: number;
  /**
   * Cores' worth of CPU that other processes used during the run: the machine's busy time minus
   * the server's and the load generator's, over the wall time.
   */
  interference: number;
  /** More than {@link HttpResults.maxInterference}: another process was busy during this run. */
  noisy: boolean;
  /** 1, or 2 when a noisy first attempt was measured again (right away). */
  attempt: number;
}

export interface Cell {
  contestant: Contestant;
  layers: number;
  command: string;
  problems: string[];
  /** The CPU-timed runs. */
  samples: Sample[];
  /**
   * The runs under perf that counted the server's instructions: rounds of their own after the
   * CPU-timed ones, because counting makes the server use more CPU time (see measure). Absent in
   * older results.
   */
  counted?: Sample[];
  /** The server's peak RSS after all its rounds (VmHWM), bytes. */
  peakRss: number;
}

export interface HttpResults {
  generator: { name: string; version: string; template: string };
  rounds: number;
  seconds: number;
  warmup: number;
  roundWarmup: number;
  maxInterference: number;
  retryBudget: number;
  /** How many runs were measured a second time. */
  retries: number;
  /** Rounds of runs under perf counting instructions (0: perf cannot count here; absent in older results). */
  countRounds?: number;
  cells: Cell[];
  durationSeconds: number;
}

export interface HttpOptions {
  rounds: number;
  seconds: number;
  /** Load, not counted, given to each server once after it was validated (its JIT warms up). */
  warmup: number;
  /** Load, not counted, before each timed run (0: none). */
  roundWarmup: number;
  /** A run during which other processes used more than this many cores is measured again. */
  maxInterference: number;
  /** Seconds of such second attempts allowed in the whole run. */
  retryBudget: number;
  generator: LoadGenerator;
  /** Rounds, after the CPU-timed ones, of runs under perf counting the server's instructions (0: none). */
  countRounds: number;
}

/**
 * One timed run. With `count`, perf counts the server's instructions over it. That is a run of its
 * own, never a CPU-timed one: on this virtual machine an active hardware counter makes the server
 * use 30–65 % more CPU time per request (kernel time mostly: the hypervisor's emulated counters)
 * and serve fewer requests per second, while the instruction count itself is unaffected.
 */
async function measure(server: ServerProcess, options: HttpOptions, round: number, block: number, position: number, attempt: number, count = false): Promise<Sample> {
  if (options.roundWarmup > 0) await options.generator.run(server.port, options.roundWarmup);
  // perf attaches before the CPU readings and is stopped after them: its own start and exit stay
  // outside the window in which the other processes' CPU time is taken.
  const counter = count ? await countInstructions(server.pid) : undefined;
  const busyBefore = machineBusyMicros();
  const before = cpuMicros(server.pid);
  const started = performance.now();
  const result = await options.generator.run(server.port, options.seconds);
  const wall = (performance.now() - started) * 1000;
  const serverCpu = cpuMicros(server.pid) - before;
  const busy = machineBusyMicros() - busyBefore;
  const interference = Number.isFinite(result.clientCpuMicros) ? Math.max(0, busy - serverCpu - result.clientCpuMicros) / wall : 0;
  const counts = counter === undefined ? { instructions: Number.NaN, userInstructions: Number.NaN } : await counter.stop();
  return {
    round,
    block,
    position,
    rps: result.rps,
    requests: result.requests,
    cpuPerRequest: serverCpu / result.requests,
    instructionsPerRequest: counts.instructions / result.requests,
    userInstructionsPerRequest: counts.userInstructions / result.requests,
    errors: result.errors,
    non2xx: result.non2xx,
    interference,
    noisy: interference > options.maxInterference,
    attempt,
  };
}

/** Runs the whole HTTP benchmark. Servers stay up across rounds (their JIT stays warm). */
export async function runHttpBench(options: HttpOptions): Promise<HttpResults> {
  const started = Date.now();
  const cells: Cell[] = [];
  const servers = new Map<Cell, ServerProcess>();
  let retries = 0;
  try {
    for (const contestant of CONTESTANTS) {
      for (const layers of contestant.layers) {
        const server = await startServer(contestant.script, [...contestant.args, `--layers=${layers}`]);
        const cell: Cell = { contestant, layers, command: server.command, problems: [], samples: [], counted: [], peakRss: Number.NaN };
        try {
          cell.problems = await validate(server.port, layers);
        } catch (error) {
          cell.problems = [String(error)];
        }
        if (cell.problems.length > 0) {
          log(`INVALID ${contestant.label} N=${layers}: ${cell.problems.join('; ')}`);
          await server.stop();
        } else {
          if (options.warmup > 0) await options.generator.run(server.port, options.warmup);
          servers.set(cell, server);
        }
        cells.push(cell);
      }
    }
    log(
      `http: ${servers.size} servers validated and warmed up; ${options.rounds} rounds of ${LAYERS.length} blocks, ${options.seconds} s per run` +
        `${options.countRounds > 0 ? `, then ${options.countRounds} rounds counting instructions` : ''}`,
    );
    const timed = [...servers.keys()];
    const raw0 = timed.find((c) => c.contestant.key === 'raw' && c.layers === 0);
    const describe = (cell: Cell, sample: Sample): string =>
      `http ${Number.isFinite(sample.instructionsPerRequest) ? 'count ' : ''}r${sample.round + 1} N=${sample.block}${sample.attempt > 1 ? ' again' : ''} ${cell.contestant.label} N=${cell.layers}: ${sample.rps.toFixed(0)} req/s, ` +
      `${sample.cpuPerRequest.toFixed(1)} µs CPU/req${Number.isFinite(sample.instructionsPerRequest) ? ` (under perf), ${(sample.instructionsPerRequest / 1000).toFixed(1)} k instructions/req` : ''}, others ${sample.interference.toFixed(2)} cores${sample.noisy ? ' (noisy)' : ''}` +
      `${sample.errors + sample.non2xx > 0 ? ` (${sample.errors} errors, ${sample.non2xx} non-2xx)` : ''}`;
    /** A round's runs in order: its blocks (one per N) in a shuffled order, each block's cells shuffled. */
    const schedule = (seed: number): [number, number, Cell][] =>
      shuffled(LAYERS, seed + 101).flatMap((block) =>
        shuffled(
          timed.filter((c) => c.layers === block || (c === raw0 && block !== 0)),
          seed * 10 + block + 1,
        ).map((cell, position): [number, number, Cell] => [block, position, cell]),
      );
    let retrySeconds = 0;
    for (let round = 0; round < options.rounds; round++) {
      for (const [block, position, cell] of schedule(round)) {
        const server = servers.get(cell) as ServerProcess;
        let sample = await measure(server, options, round, block, position, 1);
        log(describe(cell, sample));
        // A run disturbed by another process is measured once more, within the retry budget;
        // the quieter of the two is kept.
        if (sample.noisy && retrySeconds + options.seconds <= options.retryBudget) {
          retrySeconds += options.seconds + options.roundWarmup;
          retries++;
          const again = await measure(server, options, round, block, position, 2);
          log(describe(cell, again));
          if (again.interference < sample.interference) sample = again;
        }
        cell.samples.push(sample);
      }
    }
    // The instruction counts: rounds of their own (a counted run's CPU time is not the server's usual).
    for (let round = 0; round < options.countRounds; round++) {
      for (const [block, position, cell] of schedule(1000 + round)) {
        const sample = await measure(servers.get(cell) as ServerProcess, options, round, block, position, 1, true);
        log(describe(cell, sample));
        cell.counted?.push(sample);
      }
    }
    for (const [cell, server] of servers) cell.peakRss = vmBytes(server.pid, 'VmHWM');
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
  const { name, version, template } = options.generator;
  return {
    generator: { name, version, template },
    rounds: options.rounds,
    seconds: options.seconds,
    warmup: options.warmup,
    roundWarmup: options.roundWarmup,
    maxInterference: options.maxInterference,
    retryBudget: options.retryBudget,
    retries,
    countRounds: options.countRounds,
    cells,
    durationSeconds: (Date.now() - started) / 1000,
  };
}
