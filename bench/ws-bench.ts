// Websocket echo: the server CPU per round trip of stackware (a websocket route, its handshake
// through the stack) against Fastify + @fastify/websocket and a raw node:http + ws floor. Each
// server is started once, warmed up, then timed in interleaved rounds (a shuffled order per round)
// so the ratios compare runs seconds apart. CPU per round trip is the server's user + system time
// over the round trips the client counted. Writes the section `websocket-echo` of RESULTS.md.
//
//   npm --prefix bench ci && npx tsc -p tsconfig.build.json && npx tsx bench/ws-bench.ts
import { join } from 'node:path';
import { BENCH_DIR, CLIENT_CORE, calibrate, cpuMicros, log, machineInfo, median, pinned, runCommand, shuffled, startServer, type ServerProcess } from './common.js';
import { writeSection } from './sections.js';

const ROUNDS = Number(process.env.BENCH_WS_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_WS_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_WS_CONNECTIONS ?? 50);

const CONTESTANTS = [
  { name: 'stackware app.websocket', script: 'ws-stackware.mjs' },
  { name: 'Fastify + @fastify/websocket', script: 'ws-fastify.mjs' },
  { name: 'raw node:http + ws', script: 'ws-raw.mjs' },
] as const;

interface Run {
  trips: number;
  cpuMicrosPerTrip: number;
  tripsPerSecond: number;
}

async function load(server: ServerProcess, seconds: number): Promise<Run> {
  const [file, args] = pinned(CLIENT_CORE, process.execPath, [join(BENCH_DIR, 'ws-client.mjs'), String(server.port), String(CONNECTIONS), String(seconds)]);
  const before = cpuMicros(server.pid);
  const started = performance.now();
  const out = await runCommand(file, args, (seconds + 30) * 1000);
  const elapsed = (performance.now() - started) / 1000;
  const spent = cpuMicros(server.pid) - before;
  const { trips, errors } = JSON.parse(out.trim().split('\n').pop() as string) as { trips: number; errors: number };
  if (errors > 0 || trips === 0) throw new Error(`${server.command}: ${errors} wrong echoes, ${trips} round trips`);
  return { trips, cpuMicrosPerTrip: spent / trips, tripsPerSecond: trips / elapsed };
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = machineInfo('bench/ws-client.mjs (ws)');
  const calibrationBefore = await calibrate();
  const servers = new Map<string, ServerProcess>();
  for (const contestant of CONTESTANTS) servers.set(contestant.name, await startServer(contestant.script, []));
  const runs = new Map<string, Run[]>(CONTESTANTS.map((c) => [c.name, []]));
  const ratios: number[] = [];
  try {
    for (const contestant of CONTESTANTS) await load(servers.get(contestant.name) as ServerProcess, 1);
    for (let round = 0; round < ROUNDS; round++) {
      const order = shuffled(CONTESTANTS, round + 1);
      const perRound = new Map<string, Run>();
      for (const contestant of order) {
        const run = await load(servers.get(contestant.name) as ServerProcess, SECONDS);
        runs.get(contestant.name)?.push(run);
        perRound.set(contestant.name, run);
        log(`round ${round + 1}: ${contestant.name}: ${run.cpuMicrosPerTrip.toFixed(1)} µs/trip, ${run.tripsPerSecond.toFixed(0)} trips/s`);
      }
      ratios.push((perRound.get(CONTESTANTS[0].name) as Run).cpuMicrosPerTrip / (perRound.get(CONTESTANTS[1].name) as Run).cpuMicrosPerTrip);
    }
  } finally {
    for (const server of servers.values()) await server.stop();
  }
  const calibrationAfter = await calibrate();
  const raw = runs.get(CONTESTANTS[2].name) as Run[];
  const rows = CONTESTANTS.map((contestant, i) => {
    const list = runs.get(contestant.name) as Run[];
    const cpu = median(list.map((r) => r.cpuMicrosPerTrip));
    const xRaw = median(list.map((r, round) => r.cpuMicrosPerTrip / raw[round].cpuMicrosPerTrip));
    const vsFastify = i === 0 ? `**${median(ratios).toFixed(2)}** (${ratios.map((r) => r.toFixed(2)).join(', ')})` : '';
    return `| ${contestant.name} | ${cpu.toFixed(1)} | ${list.map((r) => r.cpuMicrosPerTrip.toFixed(1)).join(', ')} | ${median(list.map((r) => r.tripsPerSecond)).toFixed(0)} | ${xRaw.toFixed(2)} | ${vsFastify} |`;
  });
  const date = new Date(started).toISOString().slice(0, 16).replace('T', ' ');
  const markdown = `## Websocket echo (issue 17): app.websocket against @fastify/websocket

Written by \`npx tsx bench/ws-bench.ts\` on ${date} UTC in ${((Date.now() - started) / 60000).toFixed(1)} minutes (${ROUNDS} interleaved rounds of ${SECONDS} s per server). Machine: ${machine.nproc} cores, ${machine.cpuModel}, ${machine.memory}, ${machine.kernel}, Node.js ${machine.node}; load average at start ${machine.loadAverage}; calibration loop ${calibrationBefore.toFixed(1)} ms / ${calibrationAfter.toFixed(1)} ms (before / after). Shared machine, loaded by other engineers' tests: compare the ratios, measured within one round, not absolute times across runs.

- build: \`npx tsc -p tsconfig.build.json\` (stackware from \`dist/\`); servers: \`taskset -c 1 node bench/servers/ws-<stackware|fastify|raw>.mjs\`, no middleware
- load: \`taskset -c 0 node bench/ws-client.mjs PORT ${CONNECTIONS} ${SECONDS}\`: ${CONNECTIONS} connections, each sending a 64-byte text message and waiting for its echo, in a loop (connections opened before the timing starts: this is the cost of a message, not of a handshake)
- CPU/round trip: the server's user + system time (\`/proc/PID/stat\`) over the round trips the client counted

| server | CPU µs/round trip (median) | rounds | round trips/s (median) | × raw (median of per-round ratios) | stackware ÷ Fastify per round |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
  writeSection(join(BENCH_DIR, 'RESULTS.md'), 'websocket-echo', markdown);
  log(markdown);
}

void main();
