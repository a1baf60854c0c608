// CPU cost per request of rate limiting: stackware's RateLimitMiddleware with MemoryStore and
// RedisStore against Fastify's @fastify/rate-limit with its in-memory and Redis (ioredis) stores,
// each next to its framework without a limiter. Redis is Debian's redis-server on a unix socket in
// a temp folder, started and stopped here. Every request is allowed (the limit is far above the
// count), so what is measured is the bookkeeping every request pays. The client is a child process;
// CPU per request is this (server) process's user + system time over the requests. Bounded:
// REQUESTS requests per case, ROUNDS rounds, median reported.
//
//   npm --prefix bench ci && npx tsx bench/ratelimit-bench.ts
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import rateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { Application, MemoryStore, RateLimitMiddleware, RedisStore, type Store } from '../lib/index.js';
import { writeSection } from './sections.js';

const REQUESTS = Number(process.env.BENCH_RATELIMIT_REQUESTS ?? 4000);
const ROUNDS = Number(process.env.BENCH_RATELIMIT_ROUNDS ?? 3);
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
    const child = spawn(process.execPath, ['-e', CLIENT, url, String(total), String(CONNECTIONS)], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    for (let round = 0; round < ROUNDS; round++) {
      for (const benchCase of cases) {
        await nodeRedis.flushAll();
        const server = await benchCase.start();
        await runClient(server.url, 500); // warm-up
        const before = process.cpuUsage();
        const failed = await runClient(server.url, REQUESTS);
        const used = process.cpuUsage(before);
        await server.close();
        if (failed !== 0) throw new Error(`${benchCase.name}: ${failed} requests were not 200`);
        cpu.get(benchCase.name)!.push((used.user + used.system) / REQUESTS);
        console.log(`round ${round + 1} ${benchCase.name}: ${((used.user + used.system) / REQUESTS).toFixed(1)} µs/request`);
      }
    }
    const rows = cases.map((c) => `| ${c.name} | ${median(cpu.get(c.name)!).toFixed(1)} |`);
    const markdown = [
      '## Rate limiting: CPU per request',
      '',
      `Server-process CPU (user + system) per request, median of ${ROUNDS} rounds of ${REQUESTS} keep-alive GETs over ${CONNECTIONS} connections, every request allowed; Redis is a local redis-server on a unix socket (its own CPU is not counted). Written by \`npx tsx bench/ratelimit-bench.ts\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.`,
      '',
      '| Server | µs CPU / request |',
      '| --- | ---: |',
      ...rows,
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
