// CPU per request of PrometheusMiddleware, in process (app.fetch, no sockets): the same app with
// and without it, interleaved rounds, median. Writes its own section of bench/RESULTS.md.
// Run: npx tsx bench/observability-cost.ts
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { Application, PrometheusMiddleware } from '../lib/index.js';
import { writeSection } from './sections.js';

const ROUNDS = 7;
const PER_ROUND = 20_000;

function makeApp(withPrometheus: boolean): Application {
  const app = new Application();
  if (withPrometheus) app.addMiddleware(PrometheusMiddleware, { registry: new Registry() });
  app.get('/users/{id:int}', (request) => ({ id: request.pathParams.id }));
  return app;
}

/** CPU microseconds (user + system) per request over `n` sequential requests. */
async function cpuPerRequest(app: Application, n: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await (await app.fetch(new globalThis.Request(`http://bench/users/${i}`))).arrayBuffer();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

function promClientVersion(): string {
  const file = fileURLToPath(new URL('../node_modules/prom-client/package.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const plain = makeApp(false);
  const prometheus = makeApp(true);
  await cpuPerRequest(plain, 5000);
  await cpuPerRequest(prometheus, 5000);
  const without: number[] = [];
  const withProm: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    without.push(await cpuPerRequest(plain, PER_ROUND));
    withProm.push(await cpuPerRequest(prometheus, PER_ROUND));
  }
  const a = median(without);
  const b = median(withProm);
  const markdown = [
    '## Observability middleware: CPU per request (in process)',
    '',
    `\`npx tsx bench/observability-cost.ts\`: \`app.fetch\` of \`GET /users/{id:int}\`, ${ROUNDS} interleaved rounds of ${PER_ROUND.toLocaleString('en')} requests, median, Node ${process.version}.`,
    '',
    '| App | CPU µs / request | Cost of the middleware |',
    '| --- | ---: | ---: |',
    `| no middleware | ${a.toFixed(2)} | |`,
    `| PrometheusMiddleware (prom-client ${promClientVersion()}) | ${b.toFixed(2)} | ${(b - a).toFixed(2)} |`,
    '',
    'Recorded on the shared 2-core machine with other work running: the run-to-run spread (±5 µs between runs of this script) is larger than the cost, so read it as "under a few µs", not as the number.',
    '',
    'OpenTelemetryMiddleware and @fastify/otel rows: not measured yet (the middleware is not written).',
  ].join('\n');
  console.log(markdown);
  writeSection(fileURLToPath(new URL('RESULTS.md', import.meta.url)), 'observability', markdown);
}

void main();
