// The cost of one wrapped no-op Connect middleware per request: stackware's connectMiddleware
// against the same function under Fastify's @fastify/middie, each next to the same server without
// it. Real sockets (a Connect middleware needs the Node adapter), the load from a child process so
// that this process's CPU time is the servers' alone, interleaved rounds, medians.
// Run: npx tsx bench/connect-bench.ts   (BENCH_CONNECT_ROUNDS, BENCH_CONNECT_REQUESTS)
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import middie from '@fastify/middie';
import Fastify from 'fastify';
import { Application, connectMiddleware } from '../lib/index.js';
import { writeSection } from './sections.js';

const ROUNDS = Number(process.env.BENCH_CONNECT_ROUNDS ?? 7);
const REQUESTS = Number(process.env.BENCH_CONNECT_REQUESTS ?? 10_000);
const CONCURRENCY = 8;

function noop(_req: IncomingMessage, _res: ServerResponse, next: (error?: unknown) => void): void {
  next();
}

interface Contestant {
  name: string;
  url: string;
  close(): Promise<void>;
}

async function stackware(withConnect: boolean): Promise<Contestant> {
  const app = new Application();
  if (withConnect) app.addMiddleware(connectMiddleware(noop));
  app.get('/users/{id:int}', (request) => ({ id: request.pathParams.id }));
  const server = await app.listen(0, '127.0.0.1', { shutdownTimeout: 1 });
  return {
    name: withConnect ? 'stackware + connectMiddleware(noop)' : 'stackware',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function fastify(withMiddie: boolean): Promise<Contestant> {
  const app = Fastify();
  if (withMiddie) {
    await app.register(middie);
    app.use(noop);
  }
  app.get<{ Params: { id: string } }>('/users/:id', async (request) => ({ id: Number(request.params.id) }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    name: withMiddie ? 'Fastify + @fastify/middie use(noop)' : 'Fastify',
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
  };
}

const client = fileURLToPath(new URL('connect-client.mjs', import.meta.url));

/** This process's CPU µs (user + system) per request while `count` requests are served. */
async function cpuPerRequest(contestant: Contestant, count: number): Promise<number> {
  const start = process.cpuUsage();
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [client, contestant.url, String(count), String(CONCURRENCY)], { timeout: 120_000 }, (error) => (error ? reject(error) : resolve()));
  });
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

const range = (values: number[]): string => `${Math.min(...values).toFixed(1)} to ${Math.max(...values).toFixed(1)}`;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function version(pkg: string): string {
  const file = fileURLToPath(new URL(`node_modules/${pkg}/package.json`, import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

async function main(): Promise<void> {
  const contestants = [await stackware(false), await stackware(true), await fastify(false), await fastify(true)];
  const samples = new Map<string, number[]>(contestants.map((c) => [c.name, []]));
  const ratios = { stackware: [] as number[], fastify: [] as number[] };
  const costs = { stackware: [] as number[], fastify: [] as number[] };
  const load = loadavg()[0];
  for (const contestant of contestants) await cpuPerRequest(contestant, 3000);
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = new Map<string, number>();
    for (const contestant of contestants) {
      const value = await cpuPerRequest(contestant, REQUESTS);
      cpu.set(contestant.name, value);
      samples.get(contestant.name)?.push(value);
    }
    const [sw, swc, fy, fym] = contestants.map((c) => cpu.get(c.name) as number);
    ratios.stackware.push(swc / sw);
    ratios.fastify.push(fym / fy);
    costs.stackware.push(swc - sw);
    costs.fastify.push(fym - fy);
    console.log(`round ${round + 1}: ${contestants.map((c) => `${c.name} ${cpu.get(c.name)?.toFixed(1)} µs`).join(', ')}`);
  }
  for (const contestant of contestants) await contestant.close();
  const rows = contestants.map((c) => `| ${c.name} | ${median(samples.get(c.name) as number[]).toFixed(1)} |`);
  const markdown = [
    '## Connect middleware: one wrapped no-op per request',
    '',
    `\`npx tsx bench/connect-bench.ts\`, ${new Date().toISOString().slice(0, 10)}: \`GET /users/{id}\` answering \`{"id":…}\` over real sockets (keep-alive, ${CONCURRENCY} at a time, the load from a child process), ${ROUNDS} interleaved rounds of ${REQUESTS.toLocaleString('en')} requests per server, medians of this process's CPU time per request; Node ${process.version}, ${cpus().length} cores${cpus()[0] ? ` (${cpus()[0].model})` : ''}, fastify ${version('fastify')}, @fastify/middie ${version('@fastify/middie')}. The machine was shared and loaded (load average ${load.toFixed(1)} at the start): compare the ratios within a round, not the absolute numbers across runs.`,
    '',
    '| Server | CPU µs / request (median) |',
    '| --- | ---: |',
    ...rows,
    '',
    '| Cost of the no-op middleware | median added CPU µs / request | median ratio to the same server without it |',
    '| --- | ---: | ---: |',
    `| stackware \`connectMiddleware(noop)\` | ${median(costs.stackware).toFixed(1)} | ${median(ratios.stackware).toFixed(3)} |`,
    `| Fastify \`@fastify/middie\` \`use(noop)\` | ${median(costs.fastify).toFixed(1)} | ${median(ratios.fastify).toFixed(3)} |`,
    '',
    `Per round, the added CPU ranged from ${range(costs.stackware)} µs (stackware) and ${range(costs.fastify)} µs (middie): on a loaded machine the spread between rounds is larger than either cost, so read both as "a few µs", of the same order, not as a ranking.`,
  ].join('\n');
  console.log(markdown);
  writeSection(fileURLToPath(new URL('RESULTS.md', import.meta.url)), 'connect-middleware', markdown);
}

void main();
