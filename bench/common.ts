// Helpers shared by the parts of the suite: child processes pinned to a core, /proc readers,
// instruction counts with `perf stat`, small statistics. Only Node's own modules here: `tsc -p tsconfig.json` checks bench/*.ts
// without the bench's dependencies installed.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT_DIR = join(BENCH_DIR, '..');
export const SERVERS_DIR = join(BENCH_DIR, 'servers');

/** The core servers run on, and the core load generators and clients run on. */
export const SERVER_CORE = 1;
export const CLIENT_CORE = 0;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** The output of a command, or null when it cannot be run. */
export function tryExec(file: string, args: string[]): string | null {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

let pinningChecked: boolean | undefined;

/** True when `taskset` exists and there are at least two cores to pin to. */
export function canPin(): boolean {
  pinningChecked ??= tryExec('taskset', ['-c', '0', 'true']) !== null && cpus().length >= 2;
  return pinningChecked;
}

/** The command line that runs `file args` pinned to `core` (unpinned when pinning is impossible). */
export function pinned(core: number, file: string, args: string[]): [string, string[]] {
  return canPin() ? ['taskset', ['-c', String(core), file, ...args]] : [file, args];
}

/** How the suite ran a command, for RESULTS.md. */
export function describeCommand(file: string, args: string[]): string {
  const shown = [file === process.execPath ? 'node' : file, ...args].map((a) => a.replace(`${ROOT_DIR}/`, ''));
  return shown.map((a) => (/[\s'"*?]/.test(a) ? `'${a}'` : a)).join(' ');
}

/** A running server child: its pid (taskset execs node, so the pid is node's) and its port. */
export interface ServerProcess {
  readonly pid: number;
  readonly port: number;
  readonly command: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `node [nodeArgs] script [args]` pinned to the server core and waits for its
 * `listening <port>` line. Bounded: a server that does not listen within `timeoutMs` is killed.
 */
export function startServer(script: string, args: string[], nodeArgs: string[] = [], timeoutMs = 20_000): Promise<ServerProcess> {
  const [file, argv] = pinned(SERVER_CORE, process.execPath, [...nodeArgs, join(SERVERS_DIR, script), ...args]);
  const command = describeCommand(file, argv);
  const child = spawn(file, argv, { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command}: no "listening" line within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command}: exited (${code ?? signal}) before listening\n${stderr}`));
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /listening (\d+)/.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.stdout?.resume();
      resolve({ pid: child.pid as number, port: Number(match[1]), command, child, stop });
    });
  });
}

/** Runs a command to its end (killed after `timeoutMs`); resolves to its stdout. */
export function runCommand(file: string, args: string[], timeoutMs: number, cwd = BENCH_DIR): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 50_000) stderr = stderr.slice(-20_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${describeCommand(file, args)} failed (${code ?? signal})\n${stderr.slice(-4000)}`));
    });
  });
}

let clockTicks: number | undefined;

/** Clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export function ticksPerSecond(): number {
  clockTicks ??= Number(tryExec('getconf', ['CLK_TCK']) ?? 100) || 100;
  return clockTicks;
}

/** User + system CPU time of a process (all its threads) in microseconds, from /proc/<pid>/stat. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / ticksPerSecond();
}

/** CPU time the whole machine spent busy (all cores: user, nice, system, irq, softirq, steal), µs. */
export function machineBusyMicros(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + (steal || 0)) * 1e6) / ticksPerSecond();
}

/**
 * Runs a command through `sh -c '…; times'` and returns its stdout and the CPU time (user +
 * system, µs) that it and its children used, from the shell's `times` builtin.
 */
export async function runMeasured(file: string, args: string[], timeoutMs: number): Promise<{ stdout: string; cpuMicros: number }> {
  const quoted = [file, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = await runCommand('sh', ['-c', `${quoted}; status=$?; echo '--times--'; times; exit $status`], timeoutMs);
  const [stdout, times = ''] = out.split('--times--\n');
  const children = times.trim().split('\n').pop() ?? '';
  const match = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(children);
  const cpu = match === null ? Number.NaN : (Number(match[1]) * 60 + Number(match[2]) + Number(match[3]) * 60 + Number(match[4])) * 1e6;
  return { stdout, cpuMicros: cpu };
}

/** Whether `perf stat` counts instructions on this machine: `detail` is perf's version, or why not. */
export interface PerfSupport {
  available: boolean;
  detail: string;
}

let perfChecked: PerfSupport | undefined;

/**
 * Checks once that `perf stat -x, -e instructions true` prints a count. perf may be missing, or
 * the machine may have no hardware counters for it (`<not supported>`, common in virtual machines).
 */
export function perfSupport(): PerfSupport {
  if (perfChecked !== undefined) return perfChecked;
  const result = spawnSync('perf', ['stat', '-x,', '-e', 'instructions', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (result.error !== undefined) {
    perfChecked = { available: false, detail: `perf cannot be run (${(result.error as NodeJS.ErrnoException).code ?? result.error.message}); on Debian: apt-get install -y linux-perf` };
  } else if (!Number.isFinite(parsePerfStat(result.stderr).get('instructions') ?? Number.NaN)) {
    const said = result.stderr.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#')) ?? `exit status ${result.status}`;
    perfChecked = { available: false, detail: `\`perf stat -e instructions\` counts nothing here (${said.trim().slice(0, 160)})` };
  } else {
    perfChecked = { available: true, detail: tryExec('perf', ['--version']) ?? 'perf' };
  }
  return perfChecked;
}

/**
 * The counts in `perf stat -x,` output, by event name (`value,unit,event,run time,percentage,…`);
 * NaN for `<not counted>` or `<not supported>`. perf scales a multiplexed count itself.
 */
export function parsePerfStat(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = line.split(',');
    if (fields.length < 3 || fields[2] === '') continue;
    const value = /^\d+(\.\d+)?$/.test(fields[0]) ? Number(fields[0]) : Number.NaN;
    counts.set(fields[2], value);
  }
  return counts;
}

/** Instructions a process executed: user + kernel (`instructions`) and user only (`instructions:u`). */
export interface InstructionCounts {
  instructions: number;
  userInstructions: number;
}

/** The events counted for a server, in one perf call: user + kernel, and user space alone. */
export const PERF_EVENTS = 'instructions,instructions:u';

let perfFiles = 0;

/**
 * Starts counting the instructions of process `pid` (all its threads) with
 * `perf stat -x, -e instructions,instructions:u -p <pid> -o <tmpfile>`, perf itself pinned to the
 * client core, and waits 100 ms for it to attach (the idle server executes almost nothing meanwhile).
 * `stop` interrupts perf, waits for it to exit and reads the counts (NaN when perf failed).
 */
export async function countInstructions(pid: number): Promise<{ stop(): Promise<InstructionCounts> }> {
  const file = join(tmpdir(), `stackware-bench-perf-${process.pid}-${++perfFiles}.csv`);
  const [f, a] = pinned(CLIENT_CORE, 'perf', ['stat', '-x,', '-e', PERF_EVENTS, '-p', String(pid), '-o', file]);
  const child = spawn(f, a, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  await sleep(100);
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      let counts = new Map<string, number>();
      try {
        counts = parsePerfStat(readFileSync(file, 'utf8'));
      } catch {
        /* perf did not write its file */
      }
      rmSync(file, { force: true });
      return { instructions: counts.get('instructions') ?? Number.NaN, userInstructions: counts.get('instructions:u') ?? Number.NaN };
    },
  };
}

/** A `Vm*` line of /proc/<pid>/status, in bytes (VmHWM: peak resident set size). */
export function vmBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/** One GET on 127.0.0.1: status, headers and body text. */
export function httpGet(port: number, path = '/', timeoutMs = 5000): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Least-squares line through (x, y): slope and intercept. */
export function fitLine(points: readonly (readonly [number, number])[]): { slope: number; intercept: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx === 0 ? Number.NaN : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** A deterministic shuffle (so that a round's order is reproducible from its number). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = (seed * 2654435761) >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** What RESULTS.md says about the machine. */
export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memory: string;
  node: string;
  kernel: string;
  loadAverage: string;
  loadGenerator: string;
  pinned: boolean;
  /** perf and whether it counts instructions here (absent in results from before it was added). */
  perf?: string;
}

export function machineInfo(loadGenerator: string): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) cpuModel = match[1].trim();
  } catch {
    /* not Linux */
  }
  let loadAverage = 'unknown';
  try {
    loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    /* not Linux */
  }
  return {
    nproc: Number(tryExec('nproc', [])) || cpus().length,
    cpuModel,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    kernel: tryExec('uname', ['-sr']) ?? 'unknown',
    loadAverage,
    loadGenerator,
    pinned: canPin(),
    perf: perfSupport().available ? `${perfSupport().detail}: counts instructions` : `not used: ${perfSupport().detail}`,
  };
}

const SPIN = `let best = Infinity;
for (let r = 0; r < 15; r++) {
  const t = process.cpuUsage();
  let x = 0;
  for (let i = 0; i < 2e7; i++) x = (x * 31 + i) | 0;
  const u = process.cpuUsage(t);
  if (r >= 3) best = Math.min(best, (u.user + u.system) / 1000);
  if (x === 42) console.log('');
}
console.log(best.toFixed(1));`;

/**
 * A yardstick of how fast the server core runs right now: the CPU time (ms) of a fixed integer
 * loop, the best of 12 runs after a warm-up, pinned to the server core. Neighbours sharing the
 * physical core make it larger; on this machine it has measured 25–33 ms.
 */
export async function calibrate(): Promise<number> {
  const [file, args] = pinned(SERVER_CORE, process.execPath, ['-e', SPIN]);
  return Number((await runCommand(file, args, 60_000)).trim());
}
