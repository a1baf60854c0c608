// The realistic-stack benchmark (issue 22): stackware's built-in middleware against Fastify with its
// official plugins and Hono with its built-ins, the same behaviour on the wire for every contestant.
// `GET /items/42` answers 2 KB of JSON; requests carry `Origin`, `Accept-Encoding: gzip` and (where
// a session is read) a valid session cookie that the server itself issued from `GET /login`. One
// "stack" row (CORS with one origin and credentials + request id + signed-cookie session read +
// gzip at threshold 500, level 6), a bare row, and one row per built-in alone against its closest
// Fastify plugin or Hono built-in (or the hook a user of that framework writes, where none exists).
//
// Every server runs in its own process pinned to the server core (taskset), wrk on the other;
// each is validated first (status, headers, the body decoded). Then rounds: a block per case in a
// shuffled order, its contestants shuffled within it, so the runs a ratio compares are seconds
// apart. Server CPU (utime + stime from /proc) per request; median and range over rounds.
//
//   npx tsc -p tsconfig.build.json && npx tsx bench/stack-bench.ts
//
// BENCH_STACK_ROUNDS (7), BENCH_STACK_SECONDS (1), BENCH_STACK_CASES (all; comma-separated),
// BENCH_STACK_CONTESTANTS (stackware,fastify,hono), BENCH_STACK_BASE (a directory holding another
// build's index.js: adds the contestant `base`, that build, for before/after ratios in one run),
// BENCH_STACK_BASE_CASES (the cases `base` runs in; all by default), BENCH_STACK_BASE_LABEL (what
// `base` is, for the table), BENCH_STACK_WRITE (1: write the section BENCH_STACK_SECTION,
// `middleware-stack` by default, of RESULTS.md).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  BENCH_DIR,
  CLIENT_CORE,
  calibrate,
  cpuMicros,
  log,
  machineBusyMicros,
  machineInfo,
  median,
  pinned,
  runMeasured,
  shuffled,
  startServer,
  type ServerProcess,
} from './common.js';
import { parseWrk } from './http-bench.js';
import { writeSection } from './sections.js';

const ORIGIN = 'https://app.example';
const ROUNDS = Number(process.env.BENCH_STACK_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_STACK_SECONDS ?? 1);
const CONNECTIONS = 50;
const MAX_INTERFERENCE = 0.25;
/** What the `base` contestant is (BENCH_STACK_BASE_LABEL), e.g. the build before a change. */
const BASE_LABEL = process.env.BENCH_STACK_BASE_LABEL ?? 'the build in BENCH_STACK_BASE';
const SECTION = process.env.BENCH_STACK_SECTION ?? 'middleware-stack';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

interface Case {
  name: string;
  label: string;
  method: 'GET' | 'OPTIONS' | 'DELETE';
  path: string;
  /** Whether requests carry the session cookie (fetched from `/login` first). */
  cookie: boolean;
  extraHeaders?: Record<string, string>;
  /** What each contestant runs for this case. */
  peers: Record<string, string>;
  check(reply: Reply, port: number): string[];
}

const header = (reply: Reply, name: string): string => String(reply.headers[name] ?? '');

function jsonBody(reply: Reply): { id?: number; user?: unknown; items?: unknown[]; ok?: boolean } | null {
  const bytes = header(reply, 'content-encoding') === 'gzip' ? gunzipSync(reply.body) : reply.body;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
}

function checkItems(reply: Reply, user: string | null): string[] {
  const problems: string[] = [];
  if (reply.status !== 200) problems.push(`status ${reply.status}`);
  const body = jsonBody(reply);
  if (body === null) return [...problems, 'body is not JSON'];
  if (body.id !== 42 || !Array.isArray(body.items) || body.items.length !== 18) problems.push('body is not the item list');
  if (body.user !== user) problems.push(`user ${JSON.stringify(body.user)}, expected ${JSON.stringify(user)}`);
  return problems;
}

function checkCors(reply: Reply): string[] {
  const problems: string[] = [];
  if (header(reply, 'access-control-allow-origin') !== ORIGIN) problems.push(`access-control-allow-origin ${header(reply, 'access-control-allow-origin')}`);
  if (header(reply, 'access-control-allow-credentials') !== 'true') problems.push('no access-control-allow-credentials: true');
  return problems;
}

function checkGzip(reply: Reply): string[] {
  return header(reply, 'content-encoding') === 'gzip' ? [] : [`content-encoding ${header(reply, 'content-encoding') || 'none'}`];
}

const checkRequestId = (reply: Reply): string[] => (/^[0-9a-f-]{36}$/i.test(header(reply, 'x-request-id')) ? [] : [`x-request-id ${header(reply, 'x-request-id')}`]);

const FASTIFY_STACK = '`@fastify/cors`, `genReqId` + an `onRequest` header hook, `@fastify/secure-session`, `@fastify/compress`';
const HONO_STACK = '`hono/cors`, `hono/request-id`, a signed cookie (`getSignedCookie`), `hono/compress`';

export const CASES: readonly Case[] = [
  {
    name: 'bare',
    label: 'bare endpoint (no middleware)',
    method: 'GET',
    path: '/items/42',
    cookie: false,
    peers: { stackware: 'no middleware', fastify: 'no plugin', hono: 'no middleware' },
    check: (r) => checkItems(r, null),
  },
  {
    name: 'stack',
    label: 'the stack: CORS + request id + session read + gzip',
    method: 'GET',
    path: '/items/42',
    cookie: true,
    peers: { stackware: 'CORS, RequestId, Session, GZip', fastify: FASTIFY_STACK, hono: HONO_STACK },
    check: (r) => [...checkItems(r, 'alice'), ...checkGzip(r), ...checkCors(r), ...checkRequestId(r)],
  },
  {
    name: 'notfound',
    label: 'no route: 404 (`GET /nope`, no middleware)',
    method: 'GET',
    path: '/nope',
    cookie: false,
    peers: { stackware: 'JSON `{"detail":"Not Found"}`', fastify: 'its JSON 404', hono: 'its text 404' },
    check: (r) => (r.status === 404 ? [] : [`status ${r.status}`]),
  },
  {
    name: 'notallowed',
    label: 'wrong method: 405 (`DELETE /items/42`; Hono: 404, it has no 405)',
    method: 'DELETE',
    path: '/items/42',
    cookie: false,
    peers: { stackware: 'JSON 405 with `allow`', fastify: 'its JSON 404 (Fastify answers 404 for an unrouted method)', hono: 'its text 404' },
    check: (r) => (r.status === 404 || r.status === 405 ? [] : [`status ${r.status}`]),
  },
  {
    name: 'cors',
    label: 'CORS, simple request',
    method: 'GET',
    path: '/items/42',
    cookie: false,
    peers: { stackware: 'CORSMiddleware', fastify: '`@fastify/cors`', hono: '`hono/cors`' },
    check: (r) => [...checkItems(r, null), ...checkCors(r)],
  },
  {
    name: 'preflight',
    label: 'CORS, preflight',
    method: 'OPTIONS',
    path: '/items/42',
    cookie: false,
    extraHeaders: { 'Access-Control-Request-Method': 'GET' },
    peers: { stackware: 'CORSMiddleware', fastify: '`@fastify/cors`', hono: '`hono/cors`' },
    check: (r) => {
      const problems = r.status === 200 || r.status === 204 ? [] : [`status ${r.status}`];
      if (!header(r, 'access-control-allow-methods').includes('GET')) problems.push('access-control-allow-methods lacks GET');
      return [...problems, ...checkCors(r)];
    },
  },
  {
    name: 'gzip',
    label: 'GZip (threshold 500, level 6)',
    method: 'GET',
    path: '/items/42',
    cookie: false,
    peers: { stackware: 'GZipMiddleware', fastify: '`@fastify/compress`', hono: '`hono/compress` (CompressionStream, its default level)' },
    check: (r) => [...checkItems(r, null), ...checkGzip(r)],
  },
  {
    name: 'session-read',
    label: 'Session, read',
    method: 'GET',
    path: '/items/42',
    cookie: true,
    peers: { stackware: 'SessionMiddleware (HMAC-SHA1, itsdangerous)', fastify: '`@fastify/secure-session` (libsodium secretbox)', hono: '`getSignedCookie` (HMAC-SHA256, WebCrypto)' },
    check: (r) => checkItems(r, 'alice'),
  },
  {
    name: 'session-write',
    label: 'Session, read and write (`GET /login` sets two keys)',
    method: 'GET',
    path: '/login',
    cookie: true,
    peers: { stackware: 'SessionMiddleware', fastify: '`@fastify/secure-session`', hono: '`setSignedCookie`' },
    check: (r) => {
      const problems = r.status === 200 ? [] : [`status ${r.status}`];
      const cookies = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
      if (!cookies.some((c) => c.startsWith('session='))) problems.push('no session cookie set');
      return problems;
    },
  },
  {
    name: 'requestid',
    label: 'RequestId',
    method: 'GET',
    path: '/items/42',
    cookie: false,
    peers: { stackware: 'RequestIdMiddleware (with `requestId()` async context)', fastify: '`genReqId` + an `onRequest` header hook', hono: '`hono/request-id`' },
    check: (r) => [...checkItems(r, null), ...checkRequestId(r)],
  },
  {
    name: 'servertiming',
    label: 'ServerTiming',
    method: 'GET',
    path: '/items/42',
    cookie: false,
    peers: { stackware: 'ServerTimingMiddleware', fastify: 'no plugin: an `onRequest` + `onSend` hook pair', hono: '`hono/timing`' },
    check: (r) => [...checkItems(r, null), ...(/total;dur=[\d.]+/.test(header(r, 'server-timing')) ? [] : [`server-timing ${header(r, 'server-timing')}`])],
  },
  {
    name: 'timeout',
    label: 'Timeout (10 s, not reached)',
    method: 'GET',
    path: '/items/42',
    cookie: false,
    peers: { stackware: 'TimeoutMiddleware', fastify: '`handlerTimeout: 10000`', hono: '`hono/timeout`' },
    check: (r) => checkItems(r, null),
  },
  {
    name: 'trustedhost',
    label: 'TrustedHost (allowed host)',
    method: 'GET',
    path: '/items/42',
    cookie: false,
    peers: { stackware: 'TrustedHostMiddleware', fastify: 'no plugin: an `onRequest` hook on `request.hostname`', hono: 'no built-in: a middleware on the URL host' },
    check: (r) => checkItems(r, null),
  },
  {
    name: 'httpsredirect',
    label: 'HTTPSRedirect (every request redirected)',
    method: 'GET',
    path: '/items/42',
    cookie: false,
    peers: { stackware: 'HTTPSRedirectMiddleware', fastify: 'no plugin: an `onRequest` hook, `reply.redirect`', hono: 'no built-in: a middleware, `c.redirect`' },
    check: (r, port) => {
      const problems = r.status === 307 ? [] : [`status ${r.status}`];
      if (header(r, 'location') !== `https://127.0.0.1:${port}/items/42`) problems.push(`location ${header(r, 'location')}`);
      return problems;
    },
  },
];

const SCRIPTS: Record<string, string> = { stackware: 'stack-stackware.mjs', base: 'stack-stackware.mjs', fastify: 'stack-fastify.mjs', hono: 'stack-hono.mjs' };

function send(port: number, method: string, path: string, headers: Record<string, string>, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

interface Cell {
  benchCase: Case;
  contestant: string;
  server: ServerProcess | null;
  headers: Record<string, string>;
  problems: string[];
  samples: { round: number; cpu: number; rps: number; non2xx: number; errors: number; interference: number }[];
}

async function startCell(benchCase: Case, contestant: string): Promise<Cell> {
  const previous = process.env.STACKWARE_DIST;
  if (contestant === 'base') process.env.STACKWARE_DIST = process.env.BENCH_STACK_BASE;
  let server: ServerProcess;
  try {
    server = await startServer(SCRIPTS[contestant], [`--case=${benchCase.name}`]);
  } finally {
    if (previous === undefined) delete process.env.STACKWARE_DIST;
    else process.env.STACKWARE_DIST = previous;
  }
  const headers: Record<string, string> = { Origin: ORIGIN, 'Accept-Encoding': 'gzip', ...benchCase.extraHeaders };
  const cell: Cell = { benchCase, contestant, server, headers, problems: [], samples: [] };
  try {
    if (benchCase.cookie) {
      const login = await send(server.port, 'GET', '/login', {});
      const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => c.startsWith('session='));
      if (cookie === undefined) throw new Error(`GET /login set no session cookie (status ${login.status})`);
      headers.Cookie = cookie.split(';')[0];
    }
    cell.problems = benchCase.check(await send(server.port, benchCase.method, benchCase.path, headers), server.port);
    if (benchCase.name === 'trustedhost') {
      const bad = await send(server.port, 'GET', benchCase.path, { ...headers, Host: 'evil.example' });
      if (bad.status !== 400) cell.problems.push(`Host: evil.example answered ${bad.status}, not 400`);
    }
  } catch (error) {
    cell.problems.push(String(error));
  }
  if (cell.problems.length > 0) {
    log(`INVALID ${contestant} ${benchCase.name}: ${cell.problems.join('; ')}`);
    await server.stop();
    cell.server = null;
  }
  return cell;
}

let scriptDir: string | null = null;

function wrkArgs(cell: Cell, seconds: number): [string, string[]] {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '10s'];
  for (const [name, value] of Object.entries(cell.headers)) args.push('-H', `${name}: ${value}`);
  if (cell.benchCase.method !== 'GET') {
    scriptDir ??= mkdtempSync(join(tmpdir(), 'stack-bench-'));
    const script = join(scriptDir, `${cell.benchCase.method}.lua`);
    writeFileSync(script, `wrk.method = "${cell.benchCase.method}"\n`);
    args.push('-s', script);
  }
  args.push(`http://127.0.0.1:${(cell.server as ServerProcess).port}${cell.benchCase.path}`);
  return pinned(CLIENT_CORE, 'wrk', args);
}

async function measure(cell: Cell, round: number): Promise<void> {
  const server = cell.server as ServerProcess;
  const [file, args] = wrkArgs(cell, SECONDS);
  const busyBefore = machineBusyMicros();
  const before = cpuMicros(server.pid);
  const started = performance.now();
  const { stdout, cpuMicros: clientCpu } = await runMeasured(file, args, (SECONDS + 30) * 1000);
  const wall = (performance.now() - started) * 1000;
  const serverCpu = cpuMicros(server.pid) - before;
  const busy = machineBusyMicros() - busyBefore;
  const result = parseWrk(stdout);
  const interference = Number.isFinite(clientCpu) ? Math.max(0, busy - serverCpu - clientCpu) / wall : 0;
  cell.samples.push({ round, cpu: serverCpu / result.requests, rps: result.rps, non2xx: result.non2xx, errors: result.errors, interference });
  log(
    `r${round + 1} ${cell.benchCase.name} ${cell.contestant}: ${(serverCpu / result.requests).toFixed(1)} µs/req, ${result.rps.toFixed(0)} req/s, others ${interference.toFixed(2)} cores` +
      `${result.non2xx + result.errors > 0 ? ` (${result.non2xx} non-2xx/3xx, ${result.errors} errors)` : ''}`,
  );
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const fmtRatio = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

/** Per round, this cell's CPU against the other's (same block, seconds apart). */
function ratios(a: Cell | undefined, b: Cell | undefined): number[] {
  if (a === undefined || b === undefined) return [];
  return a.samples.flatMap((s) => {
    const other = b.samples.find((t) => t.round === s.round);
    return other === undefined ? [] : [s.cpu / other.cpu];
  });
}

function summary(values: number[], digits: (v: number) => string): string {
  if (values.length === 0) return 'n/a';
  return `${digits(median(values))} (${digits(Math.min(...values))}–${digits(Math.max(...values))})`;
}

async function main(): Promise<void> {
  const started = new Date();
  const wanted = process.env.BENCH_STACK_CASES?.split(',') ?? CASES.map((c) => c.name);
  const cases = CASES.filter((c) => wanted.includes(c.name));
  const contestants = (process.env.BENCH_STACK_CONTESTANTS ?? 'stackware,fastify,hono').split(',');
  if (process.env.BENCH_STACK_BASE !== undefined && !contestants.includes('base')) contestants.push('base');
  const machine = machineInfo('wrk');
  const calibrationBefore = await calibrate();
  const cells: Cell[] = [];
  try {
    const baseCases = process.env.BENCH_STACK_BASE_CASES?.split(',');
    for (const benchCase of cases) {
      for (const contestant of contestants) {
        if (contestant === 'base' && baseCases !== undefined && !baseCases.includes(benchCase.name)) continue;
        cells.push(await startCell(benchCase, contestant));
      }
    }
    const live = cells.filter((c) => c.server !== null);
    for (const cell of live) {
      const [file, args] = wrkArgs(cell, 1);
      await runMeasured(file, args, 30_000); // warm-up, not counted
    }
    log(`stack: ${live.length} servers validated and warmed up; ${ROUNDS} rounds of ${cases.length} blocks, ${SECONDS} s per run`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const benchCase of shuffled(cases, round + 17)) {
        for (const cell of shuffled(live.filter((c) => c.benchCase === benchCase), round * 31 + benchCase.name.length)) await measure(cell, round);
      }
    }
  } finally {
    await Promise.all(cells.map((c) => c.server?.stop()));
    if (scriptDir !== null) rmSync(scriptDir, { recursive: true, force: true });
  }
  const calibrationAfter = await calibrate();
  const minutes = (Date.now() - started.getTime()) / 60_000;

  const find = (benchCase: Case, contestant: string): Cell | undefined => cells.find((c) => c.benchCase === benchCase && c.contestant === contestant && c.samples.length > 0);
  const lines: string[] = [];
  const others = contestants.filter((c) => c !== 'stackware');
  const lean = contestants.includes('base') && contestants.includes('fastify');
  lines.push(
    `| case | ${contestants.map((c) => `${c} µs/req`).join(' | ')} | ${others.map((c) => `stackware / ${c}`).join(' | ')}${lean ? ' | base / fastify' : ''} | non-2xx/3xx, errors | contestants |`,
    `| --- | ${contestants.map(() => '---:').join(' | ')} | ${others.map(() => '---:').join(' | ')}${lean ? ' | ---:' : ''} | ---: | --- |`,
  );
  for (const benchCase of cases) {
    const row = contestants.map((c) => summary(find(benchCase, c)?.samples.map((s) => s.cpu) ?? [], fmt));
    const rel = others.map((c) => summary(ratios(find(benchCase, 'stackware'), find(benchCase, c)), fmtRatio));
    const bad = cells.filter((c) => c.benchCase === benchCase).reduce((n, c) => n + c.samples.reduce((m, s) => m + s.non2xx + s.errors, 0), 0);
    const invalid = cells.filter((c) => c.benchCase === benchCase && c.problems.length > 0).map((c) => `${c.contestant} INVALID: ${c.problems.join('; ')}`);
    const who = contestants.map((c) => `${c}: ${c === 'base' ? BASE_LABEL : benchCase.peers[c]}`).join('; ');
    if (lean) rel.push(find(benchCase, 'base') === undefined ? '' : summary(ratios(find(benchCase, 'base'), find(benchCase, 'fastify')), fmtRatio));
    lines.push(`| ${benchCase.label} | ${row.join(' | ')} | ${rel.join(' | ')} | ${bad} | ${[who, ...invalid].join('; ')} |`);
  }
  const noisy = cells.reduce((n, c) => n + c.samples.filter((s) => s.interference > MAX_INTERFERENCE).length, 0);
  const total = cells.reduce((n, c) => n + c.samples.length, 0);
  const settings = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_STACK_') && name !== 'BENCH_STACK_WRITE')
    .map(([name, value]) => `${name}=${/^[\w./,-]+$/.test(value ?? '') ? value : `'${(value ?? '').replace(/'/g, "'\\''")}'`}`);
  const markdown = [
    '## Built-in middleware against Fastify and Hono (issue 22)',
    '',
    `Written by \`npx tsc -p tsconfig.build.json && ${[...settings, ''].join(' ')}npx tsx bench/stack-bench.ts\` (bench/stack-bench.ts) on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes.toFixed(1)} minutes. ` +
      `Machine: ${machine.nproc} cores, ${machine.cpuModel}, Node ${machine.node}, ${machine.kernel}; load average at start ${machine.loadAverage}; ` +
      `calibration loop ${calibrationBefore} ms before, ${calibrationAfter} ms after (25–33 ms on a quiet machine). ` +
      (noisy > total / 10
        ? `**The machine was shared and loaded**: ${noisy} of ${total} runs had other processes using more than ${MAX_INTERFERENCE} cores; compare the ratios (taken within a round, between runs seconds apart), not microseconds across runs.`
        : `The machine was quiet: ${noisy} of ${total} runs had other processes using more than ${MAX_INTERFERENCE} cores; still, compare the ratios (taken within a round), not microseconds across machines.`),
    '',
    `Servers \`taskset -c 1 node bench/servers/stack-<contestant>.mjs --case=CASE\`, load \`taskset -c 0 wrk -t1 -c${CONNECTIONS} -d${SECONDS}s -H 'Origin: ${ORIGIN}' -H 'Accept-Encoding: gzip' [-H 'Cookie: session=…'] http://127.0.0.1:PORT/items/42\`. ` +
      `${ROUNDS} interleaved rounds (a block per case in a shuffled order, the contestants shuffled within it), one warm-up second per server before. ` +
      'Each cell: server CPU (user + system, all threads) per request, median (min–max) over rounds; each ratio is taken within a round, then the median (min–max). ' +
      'Before timing each server answered one request checked for status, `content-encoding`, the CORS headers, the request id and the body decoded (id, 18 items, the session user).',
    '',
    ...lines,
  ].join('\n');
  console.log(markdown);
  if (process.env.BENCH_STACK_WRITE === '1') writeSection(join(BENCH_DIR, 'RESULTS.md'), SECTION, markdown);
}

await main();
