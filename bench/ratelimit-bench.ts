// CPU cost per request of rate limiting: stackware's RateLimitMiddleware with MemoryStore and
// RedisStore against Fastify's @fastify/rate-limit with its in-memory and Redis (ioredis) stores,
// each next to its framework without a limiter. Redis is Debian's redis-server on a unix socket in
// a temp folder, started and stopped here. Every request is allowed (the limit is far above the
// count), so what is measured is the bookkeeping every request pays. The client is a child process;
// CPU per request is this (server) process's user + system time over the requests. Bounded:
// REQUESTS requests per case, ROUNDS rounds in a rotated order, each case's median reported, and
// the ratios taken within each round (each case against its framework without a limiter, seconds
// apart), their medians reported: on a shared, loaded machine the ratios mean more than the µs.
// With taskset on the PATH, this process runs on core 1 and the client on core 0.
//
//   npm --prefix bench ci && npx tsx bench/ratelimit-bench.ts
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import rateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { Application, MemoryStore, RateLimitMiddleware, RedisStore, type Store } from '../lib/index.js';
import { writeSection } from './sections.js';

const REQUESTS = Number(process.env.BENCH_RATELIMIT_REQUESTS ?? 20000);
const ROUNDS = Number(process.env.BENCH_RATELIMIT_ROUNDS ?? 7);
const PINNED = spawnSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
const CONNECTIONS = 10;
const HUGE = 1_000_000_000;

const CLIENT = `
const http = require('node:http');
const [url, total, connections] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
let sent = 0, done = 0, failed = 0;
function one() {
  if (sent >= total) return;
  sent++;
  http.get(url, { agent }, (res) => { if (res.statusCode !== 200) failed++; res.resume(); res.on('end', () => { if (++done === total) { console.log(failed); process.exit(0); } else one(); }); }).on('error', () => process.exit(2));
}
for (let i = 0; i < connections; i++) one();
setTimeout(() => process.exit(3), 60000).unref();
`;

function runClient(url: string, total: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = [process.execPath, '-e', CLIENT, url, String(total), String(CONNECTIONS)];
    const child = PINNED ? spawn('taskset', ['-c', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`client exited ${code}`))));
  });
}

interface Case {
  name: string;
  start(): Promise<{ url: string; close(): Promise<void> }>;
}

function stackwareCase(name: string, store: (() => Store) | null): Case {
  return {
    name,
    async start() {
      const app = new Application();
      app.get('/', () => ({ ok: true }));
      if (store !== null) app.addMiddleware(RateLimitMiddleware, { limit: HUGE, window: 1, store: store() });
      const server: Server = await app.listen(0, '127.0.0.1');
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
    },
  };
}

function fastifyCase(name: string, redis: IORedis | null | undefined): Case {
  return {
    name,
    async start() {
      const app = Fastify();
      if (redis !== undefined) await app.register(rateLimit, { max: HUGE, timeWindow: 1000, ...(redis === null ? {} : { redis }) });
      app.get('/', async () => ({ ok: true }));
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url: `${address}/`, close: () => app.close() };
    },
  };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('needs redis-server (apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const socket = join(dir, 'redis.sock');
  const redis = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 250 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  const nodeRedis = createClient({ socket: { path: socket, tls: false }, disableOfflineQueue: true });
  nodeRedis.on('error', () => undefined);
  await nodeRedis.connect();
  const ioredis = new IORedis({ path: socket, maxRetriesPerRequest: 1 });
  try {
    const cases: Case[] = [
      stackwareCase('stackware, no limiter', null),
      stackwareCase('stackware RateLimitMiddleware, MemoryStore', () => new MemoryStore()),
      stackwareCase('stackware RateLimitMiddleware, RedisStore (node-redis)', () => new RedisStore(nodeRedis)),
      fastifyCase('Fastify, no limiter', undefined),
      fastifyCase('Fastify @fastify/rate-limit, in-memory store', null),
      fastifyCase('Fastify @fastify/rate-limit, Redis store (ioredis)', ioredis),
    ];
    const cpu = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    const ratios = new Map<string, number[]>();
    const ratio = (name: string, value: number): void => void (ratios.get(name) ?? ratios.set(name, []).get(name)!).push(value);
    const loadBefore = loadavg();
    const started = new Date();
    for (let round = 0; round < ROUNDS; round++) {
      const measured = new Map<string, number>();
      // Rotated, so no case always runs first or after the same neighbour.
      const order = cases.map((_, i) => cases[(i + round) % cases.length]!);
      for (const benchCase of order) {
        await nodeRedis.flushAll();
        const server = await benchCase.start();
        await runClient(server.url, 2000); // warm-up
        const before = process.cpuUsage();
        const failed = await runClient(server.url, REQUESTS);
        const used = process.cpuUsage(before);
        await server.close();
        if (failed !== 0) throw new Error(`${benchCase.name}: ${failed} requests were not 200`);
        const perRequest = (used.user + used.system) / REQUESTS;
        cpu.get(benchCase.name)!.push(perRequest);
        measured.set(benchCase.name, perRequest);
        console.log(`round ${round + 1} ${benchCase.name}: ${perRequest.toFixed(1)} µs/request`);
      }
      const [swNone, swMemory, swRedis, fNone, fMemory, fRedis] = cases.map((c) => measured.get(c.name)!) as [number, number, number, number, number, number];
      ratio('stackware MemoryStore / stackware without a limiter', swMemory / swNone);
      ratio('stackware RedisStore / stackware without a limiter', swRedis / swNone);
      ratio('@fastify/rate-limit in-memory / Fastify without a limiter', fMemory / fNone);
      ratio('@fastify/rate-limit Redis / Fastify without a limiter', fRedis / fNone);
      ratio('stackware MemoryStore / @fastify/rate-limit in-memory', swMemory / fMemory);
      ratio('stackware RedisStore / @fastify/rate-limit Redis', swRedis / fRedis);
      ratio('µs added by the limiter: stackware MemoryStore', swMemory - swNone);
      ratio('µs added by the limiter: stackware RedisStore', swRedis - swNone);
      ratio('µs added by the limiter: @fastify/rate-limit in-memory', fMemory - fNone);
      ratio('µs added by the limiter: @fastify/rate-limit Redis', fRedis - fNone);
    }
    const loadAfter = loadavg();
    const rows = cases.map((c) => {
      const values = cpu.get(c.name)!;
      return `| ${c.name} | ${median(values).toFixed(1)} | ${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)} |`;
    });
    const ratioRows = [...ratios].map(([name, values]) => {
      const digits = name.startsWith('µs') ? 1 : 2;
      return `| ${name} | ${median(values).toFixed(digits)} | ${Math.min(...values).toFixed(digits)} to ${Math.max(...values).toFixed(digits)} |`;
    });
    const load = (values: number[]): string => values.map((v) => v.toFixed(1)).join(' / ');
    const markdown = [
      '## Rate limiting: CPU per request',
      '',
      `Server-process CPU (user + system) per request over ${REQUESTS} keep-alive GETs on ${CONNECTIONS} connections after 2000 warm-up requests, ${ROUNDS} rounds in rotated order, every request allowed (limit 10⁹ per 1 s window, one client key); Redis is a local redis-server on a unix socket (its own CPU is not counted). Written by \`npx tsx bench/ratelimit-bench.ts\` on ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}${PINNED ? ', this process on core 1 and the client on core 0 (taskset)' : ''}.`,
      '',
      `**The machine was shared and loaded** (load average 1/5/15 min ${load(loadBefore)} before, ${load(loadAfter)} after, on 2 cores; other engineers' test suites were running), so the µs move a lot from round to round; compare the ratios, each taken within one round between runs seconds apart.`,
      '',
      '| Server | median µs CPU / request | range over rounds |',
      '| --- | ---: | ---: |',
      ...rows,
      '',
      '| Within each round | median | range |',
      '| --- | ---: | ---: |',
      ...ratioRows,
    ].join('\n');
    writeSection(join(fileURLToPath(new URL('.', import.meta.url)), 'RESULTS.md'), 'ratelimit', markdown);
    console.log(markdown);
  } finally {
    await nodeRedis.close().catch(() => undefined);
    ioredis.disconnect();
    redis.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
