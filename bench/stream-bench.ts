// Streaming: a body of 64 KiB chunks (one reused Buffer, from an async generator) through 5
// stackware layers against a raw node:http pipe, to a client that reads as fast as it can and to
// one that reads slowly. Each run gets a fresh server, so its VmHWM is that run's peak RSS.
import { join } from 'node:path';
import { BENCH_DIR, CLIENT_CORE, cpuMicros, describeCommand, httpGet, log, pinned, runCommand, startServer, vmBytes } from './common.js';

export const STREAM_LAYERS = 5;
export const CHUNK = 64 * 1024;

export interface StreamStats {
  produced: number;
  chunks: number;
  peakBuffered: number;
  highWaterMark: number;
  stopped: boolean;
  rss: number;
}

export interface StreamRun {
  style: 'raw' | 'stackware';
  mode: 'fast' | 'slow';
  round: number;
  bytes: number;
  ms: number;
  /** MiB/s as the client saw it. */
  throughput: number;
  serverCpuMs: number;
  peakRss: number;
  headersOk: boolean;
  complete: boolean;
  /** Slow reader only: the server's counters while the client was still connected. */
  stats?: StreamStats;
  /** Slow reader only: the generator's count after the client went away (the stream was stopped). */
  after?: StreamStats;
  problems: string[];
}

export interface StreamResults {
  bytes: number;
  slowRate: number;
  slowSeconds: number;
  serverCommand: string;
  clientCommand: string;
  runs: StreamRun[];
  durationSeconds: number;
}

interface ClientOutput {
  status?: number;
  headers?: Record<string, string>;
  bytes?: number;
  ms?: number;
  complete?: boolean;
  stats?: StreamStats;
  error?: string;
}

async function oneRun(style: 'raw' | 'stackware', mode: 'fast' | 'slow', round: number, options: StreamOptions): Promise<StreamRun> {
  const server = await startServer('stream.mjs', [`--style=${style}`, `--layers=${style === 'raw' ? 0 : STREAM_LAYERS}`]);
  const run: StreamRun = { style, mode, round, bytes: 0, ms: 0, throughput: 0, serverCpuMs: 0, peakRss: 0, headersOk: false, complete: false, problems: [] };
  try {
    const url = `http://127.0.0.1:${server.port}/stream?bytes=${options.bytes}`;
    const clientArgs =
      mode === 'fast'
        ? [`--url=${url}`, '--mode=fast', '--timeout=120']
        : [`--url=${url}`, '--mode=slow', `--rate=${options.slowRate}`, `--seconds=${options.slowSeconds}`, '--timeout=60'];
    const [file, args] = pinned(CLIENT_CORE, process.execPath, [join(BENCH_DIR, 'stream-client.mjs'), ...clientArgs]);
    const cpuBefore = cpuMicros(server.pid);
    const out = JSON.parse((await runCommand(file, args, 150_000)).trim().split('\n').pop() as string) as ClientOutput;
    run.serverCpuMs = (cpuMicros(server.pid) - cpuBefore) / 1000;
    if (out.error !== undefined) throw new Error(out.error);
    run.bytes = out.bytes ?? 0;
    run.ms = out.ms ?? 0;
    run.throughput = run.bytes / 2 ** 20 / (run.ms / 1000);
    run.complete = out.complete === true;
    const expected = style === 'raw' ? 0 : STREAM_LAYERS;
    run.headersOk =
      Object.keys(out.headers ?? {}).length === expected && Array.from({ length: expected }, (_, i) => out.headers?.[`x-mw-${i}`]).every((v) => v === '1');
    if (out.status !== 200) run.problems.push(`status ${out.status}`);
    if (!run.headersOk) run.problems.push(`headers ${JSON.stringify(out.headers)}`);
    if (mode === 'fast' && (run.bytes !== options.bytes || !run.complete)) run.problems.push(`received ${run.bytes} of ${options.bytes} bytes`);
    if (mode === 'slow') {
      run.stats = out.stats;
      // Give the server a moment to see the disconnect, then read what the generator produced.
      await new Promise((resolve) => setTimeout(resolve, 300));
      run.after = JSON.parse((await httpGet(server.port, '/stats')).body) as StreamStats;
      if (!run.after.stopped) run.problems.push('the body generator was not stopped after the client went away');
    }
    run.peakRss = vmBytes(server.pid, 'VmHWM');
  } catch (error) {
    run.problems.push(String(error));
  } finally {
    await server.stop();
  }
  log(
    `stream ${mode} ${style} r${round + 1}: ${(run.bytes / 2 ** 20).toFixed(0)} MiB in ${run.ms.toFixed(0)} ms = ${run.throughput.toFixed(0)} MiB/s, ` +
      `peak RSS ${(run.peakRss / 2 ** 20).toFixed(1)} MiB${run.stats ? `, peak buffered ${run.stats.peakBuffered} B` : ''}${run.problems.length ? ` PROBLEMS: ${run.problems.join('; ')}` : ''}`,
  );
  return run;
}

export interface StreamOptions {
  bytes: number;
  rounds: number;
  slowRate: number;
  slowSeconds: number;
}

export async function runStreamBench(options: StreamOptions): Promise<StreamResults> {
  const started = Date.now();
  const runs: StreamRun[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const styles: ('raw' | 'stackware')[] = round % 2 === 0 ? ['raw', 'stackware'] : ['stackware', 'raw'];
    for (const style of styles) runs.push(await oneRun(style, 'fast', round, options));
  }
  for (const style of ['raw', 'stackware'] as const) runs.push(await oneRun(style, 'slow', 0, options));
  const [sf, sa] = pinned(1, process.execPath, ['bench/servers/stream.mjs', '--style=stackware|raw', `--layers=${STREAM_LAYERS}`]);
  const [cf, ca] = pinned(0, process.execPath, ['bench/stream-client.mjs', '--url=http://127.0.0.1:PORT/stream?bytes=B', '--mode=fast|slow']);
  return {
    bytes: options.bytes,
    slowRate: options.slowRate,
    slowSeconds: options.slowSeconds,
    serverCommand: describeCommand(sf, sa),
    clientCommand: describeCommand(cf, ca),
    runs,
    durationSeconds: (Date.now() - started) / 1000,
  };
}
