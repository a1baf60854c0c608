// The static-file path: stackware's StaticFiles against Fastify's @fastify/static and a raw
// node:http + fs.createReadStream floor, for a 1 KiB and a 10 MiB file. For each size every server
// is started fresh (so its peak RSS is that size's), warmed up, checked to answer the file byte for
// byte, then timed in interleaved rounds (a shuffled order per round), so the ratios compare runs
// seconds apart. CPU per request is the server's user + system time over the requests wrk counted.
// Writes the section `static-files` of RESULTS.md and static-results.json. Bounded: about 2 minutes.
//
//   npm --prefix bench ci && npx tsc -p tsconfig.build.json && npx tsx bench/static-bench.ts
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, CLIENT_CORE, calibrate, cpuMicros, describeCommand, log, machineInfo, median, pinned, runMeasured, shuffled, startServer, tryExec, vmBytes, type ServerProcess } from './common.js';
import { parseWrk } from './http-bench.js';
import { writeSection } from './sections.js';

const ROUNDS = Number(process.env.BENCH_STATIC_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_STATIC_SECONDS ?? 2);

interface Size {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly connections: number;
}

const SIZES: readonly Size[] = [
  { name: '1 KiB', file: 'small.bin', bytes: 1024, connections: 50 },
  { name: '10 MiB', file: 'large.bin', bytes: 10 * 1024 * 1024, connections: 4 },
];

const CONTESTANTS = [
  { name: 'stackware StaticFiles', script: 'static-stackware.mjs' },
  { name: 'Fastify + @fastify/static', script: 'static-fastify.mjs' },
  { name: 'raw node:http + createReadStream', script: 'static-raw.mjs' },
] as const;
type ContestantName = (typeof CONTESTANTS)[number]['name'];

interface Run {
  round: number;
  requests: number;
  cpuMicrosPerRequest: number;
  rps: number;
  errors: number;
}

interface SizeResult {
  size: string;
  connections: number;
  runs: Record<ContestantName, Run[]>;
  idleRssBytes: Record<ContestantName, number>;
  peakRssBytes: Record<ContestantName, number>;
}

/** The whole body of one GET, to check a server answers the file exactly. */
function getBytes(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const wrkArgs = (port: number, size: Size, seconds: number): [string, string[]] =>
  pinned(CLIENT_CORE, 'wrk', ['-t1', `-c${size.connections}`, `-d${seconds}s`, '--timeout', '10s', `http://127.0.0.1:${port}/static/${size.file}`]);

async function load(server: ServerProcess, size: Size, seconds: number): Promise<{ requests: number; rps: number; errors: number; cpu: number }> {
  const before = cpuMicros(server.pid);
  const [file, args] = wrkArgs(server.port, size, seconds);
  const { stdout } = await runMeasured(file, args, (seconds + 30) * 1000);
  const cpu = cpuMicros(server.pid) - before;
  const result = parseWrk(stdout);
  return { requests: result.requests, rps: result.rps, errors: result.errors + result.non2xx, cpu };
}

async function benchSize(size: Size, dir: string, digest: string): Promise<SizeResult> {
  const servers = new Map<ContestantName, ServerProcess>();
  const result: SizeResult = {
    size: size.name,
    connections: size.connections,
    runs: {} as Record<ContestantName, Run[]>,
    idleRssBytes: {} as Record<ContestantName, number>,
    peakRssBytes: {} as Record<ContestantName, number>,
  };
  try {
    for (const contestant of CONTESTANTS) {
      const server = await startServer(contestant.script, [`--dir=${dir}`]);
      servers.set(contestant.name, server);
      const answer = await getBytes(server.port, `/static/${size.file}`);
      const got = createHash('sha256').update(answer.body).digest('hex');
      if (answer.status !== 200 || got !== digest) throw new Error(`${contestant.name} did not answer ${size.file} byte for byte (status ${answer.status})`);
      result.idleRssBytes[contestant.name] = vmBytes(server.pid, 'VmRSS');
      result.runs[contestant.name] = [];
      await load(server, size, 1);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const contestant of shuffled(CONTESTANTS, round * 7 + size.bytes)) {
        const run = await load(servers.get(contestant.name) as ServerProcess, size, SECONDS);
        result.runs[contestant.name].push({ round, requests: run.requests, cpuMicrosPerRequest: run.cpu / run.requests, rps: run.rps, errors: run.errors });
        log(`${size.name} round ${round + 1}/${ROUNDS} ${contestant.name}: ${(run.cpu / run.requests).toFixed(1)} µs CPU/request, ${run.rps.toFixed(0)} req/s`);
      }
    }
    for (const contestant of CONTESTANTS) result.peakRssBytes[contestant.name] = vmBytes((servers.get(contestant.name) as ServerProcess).pid, 'VmHWM');
  } finally {
    for (const server of servers.values()) await server.stop();
  }
  return result;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Per round, a's CPU per request over b's (same round, seconds apart); then their median. */
function ratios(result: SizeResult, a: ContestantName, b: ContestantName): number[] {
  return result.runs[a].map((run, i) => run.cpuMicrosPerRequest / result.runs[b][i].cpuMicrosPerRequest);
}

function render(results: SizeResult[], info: { date: Date; seconds: number; calibration: [number, number] }): string {
  const machine = machineInfo(`wrk (${(tryExec('sh', ['-c', 'wrk --version 2>&1; true']) ?? '').split('\n')[0]})`);
  const [wrkFile, wrkArgv] = wrkArgs(0, SIZES[0], SECONDS);
  const lines = [
    '## Static files (issue 21): StaticFiles against @fastify/static',
    '',
    `Written by \`npx tsx bench/static-bench.ts\` on ${info.date.toISOString().slice(0, 16).replace('T', ' ')} UTC in ${(info.seconds / 60).toFixed(1)} minutes (${ROUNDS} interleaved rounds of ${SECONDS} s per server and size). Machine: ${machine.nproc} cores, ${machine.cpuModel}, ${machine.memory}, ${machine.kernel}, Node.js ${machine.node}; load average at start ${machine.loadAverage}; calibration loop ${info.calibration[0]} ms / ${info.calibration[1]} ms (before / after, see Machine above). Shared machine: compare the ratios, measured within one round, not absolute times across runs.`,
    '',
    '- build: `npx tsc -p tsconfig.build.json` (stackware from `dist/`); deps: `npm --prefix bench ci` (`@fastify/static` 10.1.11, `fastify` 5.12.8)',
    '- servers: `taskset -c 1 node bench/servers/static-<stackware|fastify|raw>.mjs --dir=DIR`, each started fresh for each file size (so VmHWM is that size\'s peak), checked to answer the file byte for byte (sha256), warmed up for 1 s',
    `- load: \`${describeCommand(wrkFile, wrkArgv).replace(':0/', ':PORT/').replace('-c50', '-cC').replace('small.bin', 'FILE')}\` with FILE = \`small.bin\` and C = 50 for 1 KiB, \`large.bin\` and C = 4 for 10 MiB; the file is 1 KiB or 10 MiB of random bytes (nothing to compress; no middleware)`,
    '- CPU/request: the server\'s user + system time (`/proc/PID/stat`) over the requests wrk completed; peak RSS: the server\'s `VmHWM` after all its rounds',
    '',
    '| file | server | CPU µs/request (median) | rounds | req/s (median) | × raw (median of per-round ratios) | stackware ÷ Fastify per round | RSS idle → peak |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const result of results) {
    for (const contestant of CONTESTANTS) {
      const runs = result.runs[contestant.name];
      const cpu = median(runs.map((run) => run.cpuMicrosPerRequest));
      const rps = median(runs.map((run) => run.rps));
      const vsRaw = contestant.name === 'raw node:http + createReadStream' ? '1' : median(ratios(result, contestant.name, 'raw node:http + createReadStream')).toFixed(2);
      const vsFastify =
        contestant.name === 'stackware StaticFiles'
          ? `**${median(ratios(result, 'stackware StaticFiles', 'Fastify + @fastify/static')).toFixed(2)}** (${ratios(result, 'stackware StaticFiles', 'Fastify + @fastify/static').map((r) => r.toFixed(2)).join(', ')})`
          : '';
      const errors = runs.reduce((sum, run) => sum + run.errors, 0);
      lines.push(
        `| ${result.size} | ${contestant.name}${errors > 0 ? ` (${errors} errors)` : ''} | ${cpu.toFixed(1)} | ${runs.map((run) => run.cpuMicrosPerRequest.toFixed(0)).join(', ')} | ${rps.toFixed(0)} | ${vsRaw} | ${vsFastify} | ${mib(result.idleRssBytes[contestant.name])} → ${mib(result.peakRssBytes[contestant.name])} |`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (!existsSync(join(BENCH_DIR, 'node_modules', '@fastify', 'static'))) throw new Error('Run `npm --prefix bench ci` first: @fastify/static is missing');
  if (!existsSync(join(BENCH_DIR, '..', 'dist', 'index.js'))) throw new Error('Run `npx tsc -p tsconfig.build.json` first: dist/ is missing');
  if (tryExec('sh', ['-c', 'command -v wrk']) === null) throw new Error('wrk is missing: apt-get install -y wrk');
  const started = Date.now();
  const calibrationBefore = await calibrate();
  const dir = mkdtempSync(join(tmpdir(), 'stackware-static-bench-'));
  try {
    const results: SizeResult[] = [];
    for (const size of SIZES) {
      const content = randomBytes(size.bytes);
      writeFileSync(join(dir, size.file), content);
      results.push(await benchSize(size, dir, createHash('sha256').update(content).digest('hex')));
    }
    const calibrationAfter = await calibrate();
    const date = new Date();
    writeFileSync(join(BENCH_DIR, 'static-results.json'), `${JSON.stringify({ date, rounds: ROUNDS, seconds: SECONDS, results }, null, 1)}\n`);
    const markdown = render(results, { date, seconds: (Date.now() - started) / 1000, calibration: [calibrationBefore, calibrationAfter] });
    writeSection(join(BENCH_DIR, 'RESULTS.md'), 'static-files', markdown);
    log('wrote the static-files section of bench/RESULTS.md and bench/static-results.json');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
