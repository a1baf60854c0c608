// A CPU profile (`node --cpu-prof`) of one stack-bench server (bench/stack-bench.ts) under wrk's
// load: self time by function and category (bench/profile.ts's summary, dist/ mapped to lib/), and
// inclusive time of each stackware function and of each middleware's dispatch, which is where the
// per-request middleware cost goes.
//
//   npx tsc -p tsconfig.build.json && npx tsx bench/stack-profile.ts [--case=stack] [--contestant=stackware] [--seconds=5]
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, CLIENT_CORE, cpuMicros, pinned, runMeasured, startServer } from './common.js';
import { parseWrk } from './http-bench.js';
import { summarize } from './profile.js';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const benchCase = arg('case', 'stack');
const contestant = arg('contestant', 'stackware');
const seconds = Number(arg('seconds', '5'));
const dir = join(BENCH_DIR, '.prof', `stack-${contestant}-${benchCase}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const server = await startServer(`stack-${contestant}.mjs`, [`--case=${benchCase}`], ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100']);
const headers = ['-H', 'Origin: https://app.example', '-H', 'Accept-Encoding: gzip'];
if (benchCase === 'stack' || benchCase.startsWith('session')) {
  const login = await fetch(`http://127.0.0.1:${server.port}/login`);
  headers.push('-H', `Cookie: ${(login.headers.getSetCookie()[0] ?? '').split(';')[0]}`);
}
const path = benchCase === 'session-write' ? '/login' : '/items/42';
const wrk = (s: number): [string, string[]] => pinned(CLIENT_CORE, 'wrk', ['-t1', '-c50', `-d${s}s`, ...headers, `http://127.0.0.1:${server.port}${path}`]);
let requests = 0;
let cpu = 0;
try {
  await runMeasured(...wrk(2), 60_000);
  const before = cpuMicros(server.pid);
  const { stdout } = await runMeasured(...wrk(seconds), 60_000);
  cpu = cpuMicros(server.pid) - before;
  requests = parseWrk(stdout).requests;
} finally {
  await server.stop();
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`no profile in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
const summary = summarize(profile as never, 40);
console.log(`${benchCase} ${contestant}: ${requests} requests, ${(cpu / requests).toFixed(1)} µs CPU/request (profiling on), ${summary.samples} samples`);
console.log('\nself time by category:');
for (const c of summary.categories) console.log(`  ${(c.share * 100).toFixed(1).padStart(5)} %  ${c.category}`);
console.log('\nself time by function:');
for (const t of summary.top) console.log(`  ${(t.share * 100).toFixed(1).padStart(5)} %  ${t.name}  ${t.location}`);

// Inclusive time: each sample counts once for every distinct function on its stack.
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const inclusive = new Map<string, number>();
let busy = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const delta = Math.max(0, profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0);
  const leaf = byId.get(profile.samples[i]) as Node;
  if (leaf.callFrame.functionName === '(idle)') continue;
  busy += delta;
  const seen = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
    const frame = (byId.get(id) as Node).callFrame;
    if (!frame.url.includes('/dist/') && !frame.url.includes('/node_modules/')) continue;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${frame.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
  }
}
console.log('\ninclusive time (share of busy time; µs per request at the measured CPU/request):');
const perRequest = cpu / requests;
for (const [key, time] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 45)) {
  console.log(`  ${((time / busy) * 100).toFixed(1).padStart(5)} %  ${((time / busy) * perRequest).toFixed(1).padStart(6)} µs  ${key}`);
}
