// The routing benchmark in process: CPU time of `app.handle` (no HTTP) for each route table and
// request of bench/servers/route-tables.mjs, stackware only. Rounds interleave every cell, so the
// ratios within a round share the machine's state. Loads the build in dist/ (npm run build).
//   node bench/routing-inprocess.mjs [--rounds=15] [--batch=2000]
import { createRequire } from 'node:module';
import { routeTable } from './servers/route-tables.mjs';

const require = createRequire(import.meta.url);
const { Application, Headers, Request } = require(process.env.STACKWARE_DIST ? `${process.env.STACKWARE_DIST}/index.js` : '../dist/index.js');
const option = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const rounds = option('rounds', 15);
const batch = option('batch', 2000);

const TABLES = ['param:10', 'param:100', 'param:1000', 'github:1000'];
const HITS = ['last', 'middle', 'miss'];
const apps = new Map();
for (const table of TABLES) {
  const [kind, count] = table.split(':');
  const { templates, targets } = routeTable(kind, Number(count));
  const app = new Application();
  for (const template of templates) app.get(template, () => ({ ok: true }));
  apps.set(table, { app, targets });
}
const source = (target) => ({
  method: 'GET',
  target,
  scheme: 'http',
  headers: () => new Headers({ host: '127.0.0.1' }),
  client: () => null,
  body: async function* () {},
  onDisconnect: () => undefined,
});
async function timeCell(table, hit) {
  const { app, targets } = apps.get(table);
  const target = targets[hit];
  const start = process.cpuUsage();
  for (let i = 0; i < batch; i++) await app.handle(new Request(source(target), app)).catch(() => undefined);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / batch;
}
const cells = TABLES.flatMap((table) => HITS.map((hit) => [table, hit]));
for (const [table, hit] of cells) await timeCell(table, hit);
const samples = new Map(cells.map(([t, h]) => [`${t} ${h}`, []]));
for (let r = 0; r < rounds; r++) {
  for (const [table, hit] of cells.sort(() => Math.random() - 0.5)) samples.get(`${table} ${hit}`).push({ r, us: await timeCell(table, hit) });
}
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const ratio = (a, b) => median(samples.get(a).map((s) => s.us / samples.get(b).find((t) => t.r === s.r).us));
console.log('| table | request | µs per app.handle | against param:10, same request |');
console.log('| --- | --- | --- | --- |');
for (const [table, hit] of [...cells].sort()) {
  console.log(`| ${table} | ${hit} | ${median(samples.get(`${table} ${hit}`).map((s) => s.us)).toFixed(2)} | ${ratio(`${table} ${hit}`, `param:10 ${hit}`).toFixed(2)} × |`);
}
