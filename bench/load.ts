// Issue 6's load test: the showcase app with 10 middleware layers under full load on 127.0.0.1,
// bounded in time. Passes when there are 0 errors, 0 non-2xx answers, and the server's resident
// memory at the end is within 10% of its level after the warm-up. Writes bench/LOAD.md.
//   npm run bench:load                    (60 s; LOAD_SECONDS=10 for a quick run)
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, CLIENT_CORE, ROOT_DIR, SERVER_CORE, canPin, pinned } from './common.js';

interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

const seconds = Number(process.env.LOAD_SECONDS ?? 60);
const warmupSeconds = Math.min(15, Math.max(3, Math.round(seconds / 4)));

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

async function main(): Promise<void> {
  const autocannon = createRequire(join(BENCH_DIR, 'package.json'))('autocannon') as Autocannon;
  const [file, args] = pinned(SERVER_CORE, process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'load-server.ts')]);
  const server = spawn(file, args, { cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
  const killer = setTimeout(() => server.kill('SIGKILL'), (seconds + warmupSeconds + 60) * 1000);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.setEncoding('utf8').on('data', (line: string) => {
        const match = /listening (\d+)/.exec(line);
        if (match) resolve(Number(match[1]));
      });
      server.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    });
    const pid = server.pid as number;
    const base = `http://127.0.0.1:${port}`;
    const requests = [
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/items/7' },
      { method: 'GET', path: '/large', headers: { 'accept-encoding': 'gzip' } },
      { method: 'GET', path: '/session' },
      { method: 'OPTIONS', path: '/', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' } },
    ];
    const run = (duration: number): Promise<AutocannonResult> => autocannon({ url: base, connections: 50, duration, requests, timeout: 10 });
    // The load generator runs in this process: pin it to the other core.
    if (canPin()) spawn('taskset', ['-p', '-c', String(CLIENT_CORE), String(process.pid)], { stdio: 'ignore' });

    const warm = await run(warmupSeconds);
    const rssAfterWarmup = rssMiB(pid);
    const result = await run(seconds);
    const rssAtEnd = rssMiB(pid);
    const growth = rssAtEnd / rssAfterWarmup - 1;
    const checks = [
      ['errors (connection errors and timeouts)', result.errors + result.timeouts === 0, String(result.errors + result.timeouts)],
      ['non-2xx answers', result.non2xx === 0, String(result.non2xx)],
      ['resident memory at the end within 10% of after the warm-up', growth <= 0.1, `${rssAfterWarmup.toFixed(1)} → ${rssAtEnd.toFixed(1)} MiB (${(growth * 100).toFixed(1)}%)`],
    ] as const;
    const passed = checks.every(([, ok]) => ok);
    const report = `# Load test (issue 6)

Written by \`npm run bench:load\` (\`bench/load.ts\`) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.

- Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node.js ${process.version}; server pinned to core ${SERVER_CORE}, load generator (autocannon, in process) to core ${CLIENT_CORE}.
- Server: \`node --import tsx bench/load-server.ts\` — the showcase app (every built-in middleware: Timeout, Session, ProcessTimeHeader, ServerTiming, GZip, CORS, TrustedHost, RequestId) plus two more layers: 10 middleware.
- Load: 50 connections on 127.0.0.1, requests cycling through \`GET /\`, \`GET /items/7\`, \`GET /large\` (gzip), \`GET /session\` (sets a signed cookie), and a CORS preflight; ${warmupSeconds} s warm-up, then ${seconds} s measured.

| measured | value |
| --- | --- |
| requests (measured run) | ${result.requests.total} (${Math.round(result.requests.average)} req/s; warm-up ${warm.requests.total}) |
| latency p50 / p99 | ${result.latency.p50} ms / ${result.latency.p99} ms |
| 2xx / non-2xx | ${result['2xx']} / ${result.non2xx} |
| errors / timeouts | ${result.errors} / ${result.timeouts} |
| RSS after warm-up → at the end | ${rssAfterWarmup.toFixed(1)} MiB → ${rssAtEnd.toFixed(1)} MiB |

| check | result |
| --- | --- |
${checks.map(([name, ok, value]) => `| ${name}: ${value} | ${ok ? 'pass' : '**FAIL**'} |`).join('\n')}
`;
    writeFileSync(join(BENCH_DIR, 'LOAD.md'), report);
    process.stdout.write(report);
    process.exitCode = passed ? 0 : 1;
  } finally {
    clearTimeout(killer);
    server.kill('SIGTERM');
  }
}

void main();
