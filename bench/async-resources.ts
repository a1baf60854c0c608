// The async resources (promises, process.nextTick ticks, timers, …) a stack-bench server creates
// per request under wrk's load, by type, for stackware and Fastify: what Node 20's async hooks run
// for once an AsyncLocalStorage is in use (RequestIdMiddleware opens one), so each counts.
//
//   npx tsc -p tsconfig.build.json && npx tsx bench/async-resources.ts [--case=stack] [--seconds=2]
//
// STACKWARE_DIST names another build of stackware, as for the other benchmarks. Bounded: one warm-up
// and one counted wrk run of --seconds per contestant.
import { join } from 'node:path';
import { BENCH_DIR, runMeasured, sleep, startServer } from './common.js';
import { parseWrk } from './http-bench.js';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const benchCase = arg('case', 'stack');
const seconds = Number(arg('seconds', '2'));

for (const contestant of ['stackware', 'fastify']) {
  const server = await startServer(`stack-${contestant}.mjs`, [`--case=${benchCase}`], ['--import', join(BENCH_DIR, 'count-async-resources.mjs')]);
  let stderr = '';
  server.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    const headers = ['-H', 'Origin: https://app.example', '-H', 'Accept-Encoding: gzip'];
    if (benchCase === 'stack' || benchCase.startsWith('session')) {
      const login = await fetch(`http://127.0.0.1:${server.port}/login`);
      const cookie = login.headers.getSetCookie().find((c) => c.startsWith('session='));
      if (cookie === undefined) throw new Error(`${contestant}: GET /login set no session cookie`);
      headers.push('-H', `Cookie: ${cookie.split(';')[0]}`);
    }
    const path = benchCase === 'session-write' ? '/login' : '/items/42';
    const wrk = ['-t1', '-c10', `-d${seconds}s`, ...headers, `http://127.0.0.1:${server.port}${path}`];
    await runMeasured('wrk', wrk, (seconds + 30) * 1000);
    const counted = async (): Promise<Record<string, number>> => {
      const before = stderr.length;
      server.child.kill('SIGUSR2');
      for (let i = 0; i < 50 && !stderr.slice(before).includes('\n'); i++) await sleep(20);
      const line = /async-resources (\{.*\})/.exec(stderr.slice(before));
      if (line === null) throw new Error(`${contestant}: no counts on stderr`);
      return JSON.parse(line[1]) as Record<string, number>;
    };
    await counted(); // reset after the warm-up
    const { stdout } = await runMeasured('wrk', wrk, (seconds + 30) * 1000);
    const { requests, non2xx } = parseWrk(stdout);
    const counts = await counted();
    const perRequest = Object.entries(counts)
      .filter(([, n]) => n / requests >= 0.005)
      .map(([type, n]) => `${type} ${(n / requests).toFixed(2)}`)
      .join(', ');
    console.log(`${contestant} ${benchCase}: ${requests} requests${non2xx > 0 ? ` (${non2xx} non-2xx)` : ''}; per request: ${perRequest}`);
  } finally {
    await server.stop();
  }
}
