// The attack sweep of issue 20, bounded: Host-header poisoning, uploads cut off, truncated and
// malformed (file descriptors and temporary files before and after, also once the server exited),
// and long URLs against path templates (time per request and the event loop's longest delay).
// Every target is 127.0.0.1; every request has a time limit. Writes bench/ATTACK.md.
//   npm run bench:attack                (ATTACK_UPLOADS=200 for a quick run; default 1000 of each kind)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, ROOT_DIR } from './common.js';

const KEPT_MARKER = '<!-- kept: not rewritten by bench/attack.ts -->';
const UPLOADS = Number(process.env.ATTACK_UPLOADS ?? 1000);
const BATCH = 20;
const BOUNDARY = 'attackboundary';
const PREAMBLE = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
const CLOSING = `\r\n--${BOUNDARY}--\r\n`;

interface Stats {
  fds: number;
  deletedUploadFiles: number;
  openUploadFiles: number;
  spoolDirectories: number;
  maxEventLoopDelayMs: number;
  rssMiB: number;
}

interface Server {
  child: ChildProcess;
  port: number;
  tmp: string;
}

function startServer(): Promise<Server> {
  const tmp = mkdtempSync(join(tmpdir(), 'stackware-attack-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'attack-server.ts')], {
    cwd: ROOT_DIR,
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the attack server did not start within 20 s')), 20_000);
    child.stdout?.setEncoding('utf8').on('data', (line: string) => {
      const match = /listening (\d+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), tmp });
      }
    });
    child.once('exit', (code) => reject(new Error(`the attack server exited with ${code}`)));
  });
}

/** Sends raw bytes; `cut` closes the socket right after they are written. Resolves with the answer. */
function exchange(port: number, text: string, options: { cut?: boolean; ms?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(text, () => {
        if (options.cut) setTimeout(() => socket.destroy(), 2);
      });
    });
    const timer = setTimeout(() => socket.destroy(), options.ms ?? 5000);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

async function stats(port: number): Promise<Stats> {
  const answer = await exchange(port, 'GET /attack-stats HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', { ms: 60_000 });
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  return JSON.parse(body.includes('{') ? body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1) : '{}') as Stats;
}

/** Stats once the server has had a moment to finish the work of the requests that ended. */
async function settledStats(port: number): Promise<Stats> {
  let last = await stats(port);
  for (let i = 0; i < 50 && (last.openUploadFiles > 0 || last.spoolDirectories > 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await stats(port);
  }
  return last;
}

function upload(body: string, declared = body.length, close = true): string {
  return (
    `POST /upload HTTP/1.1\r\nHost: localhost\r\n${close ? 'Connection: close\r\n' : ''}` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${declared}\r\n\r\n${body}`
  );
}

async function inBatches(count: number, send: () => Promise<string>): Promise<string[]> {
  const answers: string[] = [];
  for (let done = 0; done < count; done += BATCH) {
    answers.push(...(await Promise.all(Array.from({ length: Math.min(BATCH, count - done) }, send))));
  }
  return answers;
}

const status = (answer: string): string => answer.slice(9, 12) || 'none';
const tally = (answers: string[]): string => {
  const counts = new Map<string, number>();
  for (const answer of answers) counts.set(status(answer), (counts.get(status(answer)) ?? 0) + 1);
  return [...counts].map(([code, n]) => `${n}× ${code}`).join(', ');
};

const POISONED = [
  'localhost:@evil.com',
  '127.0.0.1:@evil.com',
  'evil.com#.localhost',
  'evil.com/.localhost',
  'evil.com?.localhost',
  'evil.com\\.localhost',
  'localhost@evil.com',
  '127.0.0.1:80@evil.com',
];

async function main(): Promise<void> {
  const lines: string[] = [];
  const say = (line = ''): void => {
    lines.push(line);
    console.log(line);
  };
  say('# Attack sweep (issue 20)');
  say();
  say(`${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}. Command: \`npm run bench:attack\` (ATTACK_UPLOADS=${UPLOADS}).`);
  say('Everything on 127.0.0.1; the server is `bench/attack-server.ts` (the showcase app, every built-in, TrustedHostMiddleware for localhost and 127.0.0.1) in its own process with its own TMPDIR.');
  say();

  let server = await startServer();
  try {
    say('## Host-header poisoning');
    say();
    say('| Host | status | Location |');
    say('| --- | --- | --- |');
    let leaked = 0;
    for (const host of ['localhost:8000', ...POISONED]) {
      const answer = await exchange(server.port, `GET /docs HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      const location = /\r\nlocation: ([^\r]*)/i.exec(answer)?.[1] ?? '—';
      if (/evil/i.test(location)) leaked += 1;
      say(`| \`${host}\` | ${status(answer)} | ${location} |`);
    }
    say();
    say(`Redirects or URLs pointing to evil.com: **${leaked}** (the first row is a legitimate host, for comparison).`);
    say();

    say('## Uploads that end badly');
    say();
    const before = await settledStats(server.port);
    const file = 'x'.repeat(256 * 1024);
    const aborted = await inBatches(UPLOADS, () =>
      exchange(server.port, upload(PREAMBLE + file, PREAMBLE.length + 8 * 1024 * 1024 + CLOSING.length), { cut: true }),
    );
    const afterAborted = await settledStats(server.port);
    const truncated = await inBatches(UPLOADS, () => exchange(server.port, upload(PREAMBLE + file)));
    const afterTruncated = await settledStats(server.port);
    const malformed = await inBatches(UPLOADS, () => exchange(server.port, upload(`${PREAMBLE}${file}\r\n--${BOUNDARY}\r\nbroken`)));
    const afterMalformed = await settledStats(server.port);
    say('| after | answers | fds | upload files open (deleted) | spool directories | RSS MiB |');
    say('| --- | --- | --- | --- | --- | --- |');
    const row = (label: string, answers: string, s: Stats): void =>
      say(`| ${label} | ${answers} | ${s.fds} | ${s.openUploadFiles} (${s.deletedUploadFiles}) | ${s.spoolDirectories} | ${s.rssMiB} |`);
    row('start', '—', before);
    row(`${UPLOADS} uploads cut off mid-file (256 KiB of 8 MiB sent)`, tally(aborted), afterAborted);
    row(`${UPLOADS} truncated (no closing boundary)`, tally(truncated), afterTruncated);
    row(`${UPLOADS} malformed after the file`, tally(malformed), afterMalformed);
    say();

    // Uploads still arriving when the server is stopped: their spool directories go with the process.
    const hanging = Array.from({ length: 20 }, () =>
      exchange(server.port, upload(PREAMBLE + file, PREAMBLE.length + 8 * 1024 * 1024 + CLOSING.length), { ms: 8000 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const duringHang = await stats(server.port);
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;
    await Promise.all(hanging);
    const left = readdirSync(server.tmp).filter((name) => name.startsWith('stackware-upload-')).length;
    say(`20 uploads still arriving when the server got SIGTERM: ${duringHang.spoolDirectories} spool directories while they arrived, **${left}** left once the process had exited.`);
    say();
  } finally {
    server.child.kill('SIGKILL');
    rmSync(server.tmp, { recursive: true, force: true });
  }

  server = await startServer();
  try {
    say('## Long URLs against path templates');
    say();
    say('Each URL is sent once on a fresh connection, with a 30 s limit; the delay is the event loop\'s longest stall meanwhile.');
    say();
    say('| request | status | ms | longest event-loop delay, ms |');
    say('| --- | --- | --- | --- |');
    const cases: Array<[string, string]> = [
      ['GET /x/7 (a normal request)', '/x/7'],
      ['404 of 15 KB', `/${'a/'.repeat(7500)}`],
      ['404 of 15 KB ending in slashes', `/a${'/'.repeat(15000)}`],
      ['`/two/{a:path}/{b:path}`, 15 KB', `/two/${'a/'.repeat(7500)}b`],
      ['`/three/{a:path}/{b:path}/{c:path}/z`, 3 KB, no match', `/three/${'a/'.repeat(1500)}`],
      ['`/three/{a:path}/{b:path}/{c:path}/z`, 15 KB, no match', `/three/${'a/'.repeat(7500)}`],
    ];
    await stats(server.port);
    for (const [label, path] of cases) {
      const started = performance.now();
      const answer = await exchange(server.port, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, { ms: 30_000 });
      const ms = performance.now() - started;
      if (answer === '') {
        say(`| ${label} | none within 30 s | > 30000 | — (the server was blocked: the sweep stops here) |`);
        break;
      }
      const s = await stats(server.port);
      say(`| ${label} | ${status(answer)} | ${ms.toFixed(1)} | ${s.maxEventLoopDelayMs} |`);
    }
    say();
  } finally {
    server.child.kill('SIGKILL');
    rmSync(server.tmp, { recursive: true, force: true });
  }

  // What follows the marker in ATTACK.md (runs of older builds, for comparison) is kept as it is.
  const report = join(BENCH_DIR, 'ATTACK.md');
  const old = existsSync(report) ? readFileSync(report, 'utf8') : '';
  const kept = old.includes(KEPT_MARKER) ? old.slice(old.indexOf(KEPT_MARKER)) : '';
  writeFileSync(report, `${lines.join('\n')}\n${kept === '' ? '' : `\n${kept}`}`);
  console.log('wrote bench/ATTACK.md');
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
