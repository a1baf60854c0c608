// The HTTP benchmark: every contestant in its own server process pinned to the server core,
// the load generator pinned to the other one, 50 keep-alive connections on 127.0.0.1. Each
// server is validated first; then rounds, each timing every cell once in a shuffled order.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_DIR,
  CLIENT_CORE,
  cpuMicros,
  describeCommand,
  httpGet,
  log,
  pinned,
  runCommand,
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
        return parseWrk(await runCommand(f, a, (seconds + 30) * 1000));
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
      const out = JSON.parse((await runCommand(f, a, (seconds + 30) * 1000)).trim().split('\n').pop() as string);
      const requests = Number(out.requests.total);
      const elapsed = Number(out.duration);
      return { requests, seconds: elapsed, rps: requests / elapsed, errors: Number(out.errors) + Number(out.timeouts), non2xx: Number(out.non2xx) };
    },
  };
}

/** Debian's wrk prints its version with a non-zero exit status. */
function tryWrkVersion(): string | null {
  const out = tryExec('sh', ['-c', 'wrk --version 2>&1; true']);
  return out !== null && /^wrk /m.test(out) ? out : null;
}

export function parseWrk(output: string): LoadResult {
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
  /** Position in the round's order. */
  position: number;
  rps: number;
  requests: number;
  /** Server CPU (user + system, all threads) per request, µs. */
  cpuPerRequest: number;
  errors: number;
  non2xx: number;
}

export interface Cell {
  contestant: Contestant;
  layers: number;
  command: string;
  problems: string[];
  samples: Sample[];
  /** The server's peak RSS after all its rounds (VmHWM), bytes. */
  peakRss: number;
}

export interface HttpResults {
  generator: { name: string; version: string; template: string };
  rounds: number;
  seconds: number;
  warmup: number;
  roundWarmup: number;
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
  generator: LoadGenerator;
}

/** Runs the whole HTTP benchmark. Servers stay up across rounds (their JIT stays warm). */
export async function runHttpBench(options: HttpOptions): Promise<HttpResults> {
  const started = Date.now();
  const cells: Cell[] = [];
  const servers = new Map<Cell, ServerProcess>();
  try {
    for (const contestant of CONTESTANTS) {
      for (const layers of contestant.layers) {
        const server = await startServer(contestant.script, [...contestant.args, `--layers=${layers}`]);
        const cell: Cell = { contestant, layers, command: server.command, problems: [], samples: [], peakRss: Number.NaN };
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
    log(`http: ${servers.size} servers validated and warmed up; ${options.rounds} rounds × ${options.seconds} s per cell`);
    const timed = [...servers.keys()];
    for (let round = 0; round < options.rounds; round++) {
      const order = shuffled(timed, round + 1);
      for (const [position, cell] of order.entries()) {
        const server = servers.get(cell) as ServerProcess;
        if (options.roundWarmup > 0) await options.generator.run(server.port, options.roundWarmup);
        const before = cpuMicros(server.pid);
        const result = await options.generator.run(server.port, options.seconds);
        const after = cpuMicros(server.pid);
        const sample: Sample = {
          round,
          position,
          rps: result.rps,
          requests: result.requests,
          cpuPerRequest: (after - before) / result.requests,
          errors: result.errors,
          non2xx: result.non2xx,
        };
        cell.samples.push(sample);
        log(
          `http r${round + 1} ${cell.contestant.label} N=${cell.layers}: ${sample.rps.toFixed(0)} req/s, ` +
            `${sample.cpuPerRequest.toFixed(1)} µs CPU/req${sample.errors + sample.non2xx > 0 ? ` (${sample.errors} errors, ${sample.non2xx} non-2xx)` : ''}`,
        );
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
    cells,
    durationSeconds: (Date.now() - started) / 1000,
  };
}
