// The routing benchmark (issue 12): server CPU per request against the size of the route table.
// Tables: R ∈ {10, 100, 1,000} routes `/api/res{i}/{id:int}`, and 1,000 GitHub-shaped routes;
// requests: the last route, the middle one, a 404. Contestants: stackware, Fastify, Hono, Koa.
// Every server stays up for the whole run; each round times every cell once in a shuffled order,
// and ratios are taken within a round. Writes its section of RESULTS.md and routing-results.json.
//
//   npm --prefix bench ci && tsx bench/routing-bench.ts      (about 4 minutes with the defaults)
//   BENCH_ROUTING_ROUNDS (3), BENCH_SECONDS (1)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_DIR,
  CLIENT_CORE,
  ROOT_DIR,
  cpuMicros,
  describeCommand,
  httpGet,
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

const ROUNDS = Number(process.env.BENCH_ROUTING_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const CONNECTIONS = 50;
const CONTESTANTS = ['stackware', 'fastify', 'hono', 'koa'] as const;
const TABLES = ['param:10', 'param:100', 'param:1000', 'github:1000'] as const;
const HITS = ['last', 'middle', 'miss'] as const;
type Contestant = (typeof CONTESTANTS)[number];
type Table = (typeof TABLES)[number];
type Hit = (typeof HITS)[number];
/** Issue 20's 15 KB URLs, against stackware only: each against a normal request of the same table. */
const ATTACKS = ['normal', 'threePaths', 'oneSegment', 'trailingSlashes', 'longSegment'] as const;
type Attack = (typeof ATTACKS)[number];

interface AttackSample {
  attack: Attack;
  round: number;
  requests: number;
  cpuMicrosPerRequest: number;
}

interface Sample {
  contestant: Contestant;
  table: Table;
  hit: Hit;
  round: number;
  requests: number;
  cpuMicrosPerRequest: number;
  /** Cores the rest of the machine used during the run. */
  interference: number;
}

/** The paths of a table, as the servers compute them (the same module). */
async function targetsOf(table: Table): Promise<Record<Hit, string>> {
  const { routeTable } = (await import(join(BENCH_DIR, 'servers', 'route-tables.mjs'))) as {
    routeTable(kind: string, count: number): { targets: Record<Hit, string> };
  };
  const [kind, count] = table.split(':');
  return routeTable(kind, Number(count)).targets;
}

async function wrk(port: number, path: string, seconds: number): Promise<{ requests: number; clientCpuMicros: number }> {
  const [file, args] = pinned(CLIENT_CORE, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '10s', `http://127.0.0.1:${port}${path}`]);
  const { stdout, cpuMicros: clientCpuMicros } = await runMeasured(file, args, (seconds + 30) * 1000);
  return { requests: parseWrk(stdout).requests, clientCpuMicros };
}

async function main(): Promise<void> {
  log('building stackware (tsc -p tsconfig.build.json → dist/)');
  execFileSync(process.execPath, [join(ROOT_DIR, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT_DIR, stdio: 'inherit' });
  const targets = new Map<Table, Record<Hit, string>>();
  for (const table of TABLES) targets.set(table, await targetsOf(table));
  const servers = new Map<string, ServerProcess>();
  const key = (contestant: Contestant, table: Table): string => `${contestant} ${table}`;
  const samples: Sample[] = [];
  const attackSamples: AttackSample[] = [];
  const { routeTable } = (await import(join(BENCH_DIR, 'servers', 'route-tables.mjs'))) as {
    routeTable(kind: string, count: number): { targets: Record<Attack, string> };
  };
  const attackTargets = routeTable('attack', 0).targets;
  try {
    const attacked = await startServer('routes-stackware.mjs', ['--table=attack:0']);
    servers.set('attack', attacked);
    for (const attack of ATTACKS) {
      const { status } = await httpGet(attacked.port, attackTargets[attack]);
      if (status !== (attack === 'normal' ? 200 : 404)) throw new Error(`attack ${attack}: status ${status}`);
      await wrk(attacked.port, attackTargets[attack], 1);
    }
    for (const contestant of CONTESTANTS) {
      for (const table of TABLES) {
        const server = await startServer(`routes-${contestant}.mjs`, [`--table=${table}`]);
        servers.set(key(contestant, table), server);
        for (const hit of HITS) {
          const { status } = await httpGet(server.port, targets.get(table)![hit]);
          const expected = hit === 'miss' ? 404 : 200;
          if (status !== expected) throw new Error(`${contestant} ${table} ${hit}: status ${status}, expected ${expected}`);
        }
        for (const hit of HITS) await wrk(server.port, targets.get(table)![hit], 1);
      }
    }
    log(`${servers.size} servers up and warmed; ${ROUNDS} rounds of ${CONTESTANTS.length * TABLES.length * HITS.length} runs of ${SECONDS} s`);
    const cells = CONTESTANTS.flatMap((contestant) => TABLES.flatMap((table) => HITS.map((hit): { contestant: Contestant; table: Table; hit: Hit } => ({ contestant, table, hit }))));
    for (let round = 0; round < ROUNDS; round++) {
      for (const { contestant, table, hit } of shuffled(cells, round + 1)) {
        const server = servers.get(key(contestant, table))!;
        const busyBefore = machineBusyMicros();
        const before = cpuMicros(server.pid);
        const { requests, clientCpuMicros } = await wrk(server.port, targets.get(table)![hit], SECONDS);
        const used = cpuMicros(server.pid) - before;
        const others = machineBusyMicros() - busyBefore - used - clientCpuMicros;
        samples.push({ contestant, table, hit, round, requests, cpuMicrosPerRequest: used / requests, interference: others / (SECONDS * 1e6) });
      }
      const attacked = servers.get('attack')!;
      for (const attack of shuffled(ATTACKS, round + 7)) {
        const before = cpuMicros(attacked.pid);
        const { requests } = await wrk(attacked.port, attackTargets[attack], SECONDS);
        attackSamples.push({ attack, round, requests, cpuMicrosPerRequest: (cpuMicros(attacked.pid) - before) / requests });
      }
      log(`round ${round + 1}/${ROUNDS} done`);
    }
  } finally {
    for (const server of servers.values()) await server.stop();
  }
  const [wrkFile, wrkArgs] = pinned(CLIENT_CORE, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--timeout', '10s', 'http://127.0.0.1:PORT/PATH']);
  const info = machineInfo('wrk');
  writeFileSync(join(BENCH_DIR, 'routing-results.json'), `${JSON.stringify({ date: new Date().toISOString(), machine: info, samples, attackSamples }, null, 2)}\n`);
  writeSection(render(samples, info, describeCommand(wrkFile, wrkArgs)) + renderAttacks(attackSamples));
}

const cellOf = (samples: readonly Sample[], contestant: Contestant, table: Table, hit: Hit): Sample[] =>
  samples.filter((s) => s.contestant === contestant && s.table === table && s.hit === hit);

/** The median over rounds of a / b, each pair from the same round. */
function ratio(samples: readonly Sample[], a: [Contestant, Table, Hit], b: [Contestant, Table, Hit]): number {
  const [as, bs] = [cellOf(samples, ...a), cellOf(samples, ...b)];
  return median(as.map((s) => s.cpuMicrosPerRequest / (bs.find((t) => t.round === s.round)?.cpuMicrosPerRequest ?? Number.NaN)));
}

function render(samples: readonly Sample[], info: ReturnType<typeof machineInfo>, command: string): string {
  const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
  const rows: string[] = [];
  rows.push('| table | request | stackware | Fastify | Hono | Koa | stackware ÷ Fastify |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const table of TABLES) {
    for (const hit of HITS) {
      const cpu = CONTESTANTS.map((c) => fmt(median(cellOf(samples, c, table, hit).map((s) => s.cpuMicrosPerRequest))));
      rows.push(`| ${table} | ${hit} | ${cpu.join(' | ')} | ${fmt(ratio(samples, ['stackware', table, hit], ['fastify', table, hit]), 2)} × |`);
    }
  }
  const scaling = HITS.map((hit) => {
    const r = ratio(samples, ['stackware', 'param:1000', hit], ['stackware', 'param:10', hit]);
    return `| ${hit} | ${fmt(ratio(samples, ['stackware', 'param:100', hit], ['stackware', 'param:10', hit]), 2)} × | ${fmt(r, 2)} × | ${r <= 1.15 ? 'met' : 'not met'} |`;
  });
  const atOrBelow = TABLES.flatMap((table) => HITS.map((hit) => ratio(samples, ['stackware', table, hit], ['fastify', table, hit])));
  const interference = median(samples.map((s) => s.interference));
  return [
    '## Routing: CPU per request against the route count (issue 12)',
    '',
    `Written by \`bench/routing-bench.ts\` on ${new Date().toISOString().slice(0, 10)}: \`npm --prefix bench ci && tsx bench/routing-bench.ts\``,
    `(${ROUNDS} rounds, ${SECONDS} s runs; every sample in \`bench/routing-results.json\`). Machine: ${info.cpuModel}, ${info.nproc} cores, ${info.memory}, Node ${info.node}, kernel ${info.kernel}, load average at the start ${info.loadAverage}.`,
    `Load: \`${command}\`, the server alone under \`taskset -c 1\`; server CPU (utime + stime) per request, median over rounds.`,
    'Tables: `param:R` is R routes `/api/res{i}/{id:int}`; `github:1000` is 42 GitHub-shaped paths (static and parametrized)',
    'repeated under `/enterprises/e{k}` prefixes up to 1,000 routes. Requests: the last route, the middle one, a 404.',
    'Fastify, Hono and Koa get the same tables with plain `:name` parameters (no int check, which only makes their work lighter).',
    `The rest of the machine used a median ${fmt(interference, 2)} cores during a run: compare the ratios (taken within a round), not the microseconds across runs.`,
    '',
    'Server CPU per request (µs):',
    '',
    ...rows,
    '',
    'stackware against itself at R = 10 (target: R = 1,000 within 1.15 ×):',
    '',
    '| request | R = 100 | R = 1,000 | target |',
    '| --- | --- | --- | --- |',
    ...scaling,
    '',
    `stackware at or below Fastify (ratio ≤ 1.00) in ${atOrBelow.filter((r) => r <= 1).length} of ${atOrBelow.length} cells; the largest ratio ${fmt(Math.max(...atOrBelow), 2)} ×.`,
    '',
  ].join('\n');
}

function renderAttacks(samples: readonly AttackSample[]): string {
  const normal = samples.filter((s) => s.attack === 'normal');
  const rows = ATTACKS.map((attack) => {
    const mine = samples.filter((s) => s.attack === attack);
    const cpu = median(mine.map((s) => s.cpuMicrosPerRequest));
    const ratio = median(mine.map((s) => s.cpuMicrosPerRequest / (normal.find((n) => n.round === s.round)?.cpuMicrosPerRequest ?? Number.NaN)));
    return `| ${attack} | ${cpu.toFixed(1)} | ${ratio.toFixed(2)} × |`;
  });
  return [
    '',
    '### 15 KB URLs against path templates (issue 20, point 3)',
    '',
    'stackware only, one server with `/three/{a:path}/{b:path}/{c:path}/z`, `/two/{a:path}/{b:path}`, `/t/{a}-{b}-{c}x` and',
    '100 `/api/res{i}/{id:int}` routes (`attackTable` in `bench/servers/route-tables.mjs`); the same load, each 15 KB URL against',
    'a normal request (`/api/res99/7`) of the same round. Before the compiled router a 3 KB URL on the first template blocked the',
    'event loop for 6.95 s.',
    '',
    '| request | server CPU per request (µs) | against normal |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

const START = '<!-- section:routing-bench:begin -->';
const END = '<!-- section:routing-bench:end -->';

/** Replaces this benchmark's own section of RESULTS.md (or appends it), leaving the rest alone. */
function writeSection(section: string): void {
  const path = join(BENCH_DIR, 'RESULTS.md');
  const text = readFileSync(path, 'utf8');
  const block = `${START}\n${section}${END}\n`;
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  const next = start !== -1 && end > start ? text.slice(0, start) + block + text.slice(end + END.length + 1) : `${text.trimEnd()}\n\n${block}`;
  writeFileSync(path, next);
  log('wrote its section of bench/RESULTS.md');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
