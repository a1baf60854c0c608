// One CPU profile (`node --cpu-prof`) of the stackware N=10 server under the same load as the
// HTTP benchmark, summarized: self time by function (dist/ positions mapped back to lib/*.ts
// through the build's source maps) and by category.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DIR, ROOT_DIR, cpuMicros, log, startServer } from './common.js';
import type { LoadGenerator } from './http-bench.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  location: string;
  category: string;
  /** Share of the non-idle samples, 0..1. */
  share: number;
}

export interface ProfileResults {
  command: string;
  loadCommand: string;
  seconds: number;
  requests: number;
  cpuPerRequest: number;
  samples: number;
  intervalMicros: number;
  top: ProfileEntry[];
  categories: { category: string; share: number }[];
  /** Self time in stackware's own code, by lib/ file. */
  stackwareFiles: { file: string; share: number }[];
  file: string;
}

export const PROFILE_DIR = join(BENCH_DIR, '.prof');

const sourceMaps = new Map<string, SourceMap | null>();

/** Maps a position in dist/*.js to lib/*.ts through the build's source map. */
function original(url: string, line: number, column: number): string | null {
  if (!url.startsWith('file://') || !url.includes('/dist/')) return null;
  const path = fileURLToPath(url);
  if (!sourceMaps.has(path)) {
    try {
      sourceMaps.set(path, new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))));
    } catch {
      sourceMaps.set(path, null);
    }
  }
  const map = sourceMaps.get(path);
  if (!map) return null;
  const entry = map.findEntry(line, column) as { originalSource?: string; originalLine?: number };
  if (entry.originalSource === undefined) return null;
  const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : join(path, '..', entry.originalSource);
  return `${relative(ROOT_DIR, source)}:${(entry.originalLine ?? 0) + 1}`;
}

function categorize(frame: CallFrame): string {
  const { functionName, url } = frame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)') return 'V8 and native code not attributed to a JS function ((program))';
  if (url.includes('/dist/')) return 'stackware (lib/, compiled in dist/)';
  if (url.includes('/bench/')) return 'the benchmark app (bench/servers/)';
  if (/^node:(_http|http|internal\/http|internal\/streams\/|stream|internal\/stream)/.test(url)) return 'node:http and streams (JS)';
  if (/^node:(net|internal\/net|internal\/stream_base|internal\/dtrace)/.test(url)) return 'node:net / sockets (JS)';
  if (/^node:internal\/process\/task_queues|^node:internal\/async_hooks|^node:internal\/timers|^node:timers/.test(url)) return 'node: microtasks, timers, async hooks (JS)';
  if (url.startsWith('node:')) return 'other node: internals (JS)';
  if (url === '' && /^(writev|writeUtf8String|writeLatin1String|writeAsciiString|writeBuffer)$/.test(functionName)) {
    return "socket writes (the write/writev system calls: the kernel's loopback TCP work)";
  }
  if (url === '') return 'native functions (V8 builtins, regexps, bindings)';
  return 'other';
}

function shortLocation(frame: CallFrame): string {
  const mapped = original(frame.url, frame.lineNumber, frame.columnNumber);
  if (mapped !== null) return mapped;
  if (frame.url === '') return '(native)';
  const url = frame.url.startsWith('file://') ? relative(ROOT_DIR, fileURLToPath(frame.url)) : frame.url;
  return `${url}:${frame.lineNumber + 1}`;
}

export function summarize(profile: CpuProfile, topCount = 20): Pick<ProfileResults, 'samples' | 'intervalMicros' | 'top' | 'categories' | 'stackwareFiles'> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map<number, number>();
  // timeDeltas[i] is the time since the previous sample; sample i gets the next delta.
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    selfTime.set(profile.samples[i], (selfTime.get(profile.samples[i]) ?? 0) + Math.max(0, delta));
  }
  const functions = new Map<string, { name: string; location: string; category: string; time: number }>();
  const categories = new Map<string, number>();
  const files = new Map<string, number>();
  let busy = 0;
  for (const [id, time] of selfTime) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const category = categorize(frame);
    if (category === 'idle') continue;
    busy += time;
    categories.set(category, (categories.get(category) ?? 0) + time);
    const location = shortLocation(frame);
    if (location.startsWith('lib/')) {
      const file = location.slice(0, location.lastIndexOf(':'));
      files.set(file, (files.get(file) ?? 0) + time);
    }
    const name = frame.functionName || '(anonymous)';
    // Group by function: its name and where it starts.
    const key = `${name}\0${frame.url}\0${frame.lineNumber}`;
    const entry = functions.get(key) ?? { name, location, category, time: 0 };
    entry.time += time;
    functions.set(key, entry);
  }
  const total = profile.timeDeltas.reduce((s, d) => s + Math.max(0, d), 0);
  return {
    samples: profile.samples.length,
    intervalMicros: total / Math.max(1, profile.samples.length),
    top: [...functions.values()]
      .sort((a, b) => b.time - a.time)
      .slice(0, topCount)
      .map(({ name, location, category, time }) => ({ name, location, category, share: time / busy })),
    categories: [...categories].sort((a, b) => b[1] - a[1]).map(([category, time]) => ({ category, share: time / busy })),
    stackwareFiles: [...files].sort((a, b) => b[1] - a[1]).map(([file, time]) => ({ file, share: time / busy })),
  };
}

export async function runProfile(options: { generator: LoadGenerator; seconds: number; warmup: number; layers: number }): Promise<ProfileResults> {
  rmSync(PROFILE_DIR, { recursive: true, force: true });
  mkdirSync(PROFILE_DIR, { recursive: true });
  const server = await startServer(
    'stackware.mjs',
    ['--style=class', `--layers=${options.layers}`],
    ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-interval=250'],
  );
  let requests = 0;
  let cpu = 0;
  try {
    await options.generator.run(server.port, options.warmup);
    const before = cpuMicros(server.pid);
    const result = await options.generator.run(server.port, options.seconds);
    cpu = cpuMicros(server.pid) - before;
    requests = result.requests;
  } finally {
    await server.stop();
  }
  const file = readdirSync(PROFILE_DIR).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined || !existsSync(join(PROFILE_DIR, file))) throw new Error(`no .cpuprofile written in ${PROFILE_DIR}`);
  const profile = JSON.parse(readFileSync(join(PROFILE_DIR, file), 'utf8')) as CpuProfile;
  log(`profile: ${profile.samples.length} samples in ${relative(ROOT_DIR, join(PROFILE_DIR, file))}`);
  return {
    command: server.command,
    loadCommand: options.generator.template.replace('SECONDS', String(options.seconds)),
    seconds: options.seconds,
    requests,
    cpuPerRequest: cpu / Math.max(1, requests),
    file: relative(ROOT_DIR, join(PROFILE_DIR, file)),
    ...summarize(profile),
  };
}
