import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, stackware, type Running } from './run';

/** GET on a new connection; resolves with the status and body, rejects on any connection error. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const READY = /serving \S+ on (http:\/\/127\.0\.0\.1:\d+) \(pid (\d+)\)/;
const INDEX = JSON.stringify(join(root, 'lib', 'index.ts'));

/** An app module answering `version`, with a lifespan that takes `startupMs` to start (so reloads overlap). */
function appSource(version: string, startupMs = 0): string {
  return [
    `import { Application } from ${INDEX};`,
    `export const app = new Application({ shutdownTimeout: 2, lifespan: async function* () { await new Promise((r) => setTimeout(r, ${startupMs})); yield; } });`,
    `app.get('/', () => ({ version: ${JSON.stringify(version)}, pid: process.pid }));`,
    '',
  ].join('\n');
}

/** Polls `url` until its body has `version`, within `ms`. */
async function waitForVersion(url: string, version: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    last = (await get(url)).body;
    if ((JSON.parse(last) as { version: string }).version === version) return;
    await sleep(50);
  }
  throw new Error(`${url} still answers ${last} after ${ms} ms`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('stackware serve --reload', () => {
  let running: Running | undefined;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stackware-reload-'));
    writeFileSync(join(dir, 'app.ts'), appSource('one'));
  });
  afterEach(() => {
    running?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says what it watches, serves the new code after a change, and no request fails during the reload', async () => {
    writeFileSync(join(dir, 'app.ts'), appSource('one', 300));
    running = stackware(['serve', join(dir, 'app.ts'), '--port', '0', '--no-access-log', '--reload'], {}, dir);
    await running.waitFor(new RegExp(`Will watch for changes in these directories: \\['${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'\\]`));
    const [, url, firstPid] = await running.waitFor(READY);
    expect(JSON.parse((await get(`${url!}/`)).body)).toEqual({ version: 'one', pid: Number(firstPid) });

    // Two clients request in a loop, each on new connections, through the whole reload.
    let stop = false;
    const failures: unknown[] = [];
    const seen = new Set<string>();
    const client = async (): Promise<void> => {
      for (let i = 0; i < 2000 && !stop; i++) {
        try {
          const { status, body } = await get(`${url!}/`);
          if (status !== 200) failures.push(status);
          else seen.add((JSON.parse(body) as { version: string }).version);
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const clients = [client(), client()];
    await sleep(200);
    writeFileSync(join(dir, 'app.ts'), appSource('two', 300));
    await running.waitFor(/fs\.watch detected changes in 'app\.ts'\. Reloading\.\.\./);
    await running.waitFor(/server process \[\d+\] is serving; stopping server process \[(\d+)\]/);
    await waitForVersion(`${url!}/`, 'two');
    await sleep(300);
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect([...seen].sort()).toEqual(['one', 'two']);
    // The old process was stopped once the new one listened.
    const deadline = Date.now() + 5000;
    while (alive(Number(firstPid)) && Date.now() < deadline) await sleep(50);
    expect(alive(Number(firstPid))).toBe(false);
  }, 60_000);

  it('keeps serving the old code when the new code fails to load, and reloads on the next good change', async () => {
    running = stackware(['serve', join(dir, 'app.ts'), '--port', '0', '--no-access-log', '--reload'], {}, dir);
    const [, url] = await running.waitFor(READY);
    writeFileSync(join(dir, 'app.ts'), appSource('broken') + 'export const = (;\n');
    await running.waitFor(/the new server process \[\d+\] failed to start \(exit code 1\); server process \[\d+\] keeps serving the previous code\. Waiting for the next change\./);
    expect(running.output()).toMatch(/app\.ts:\d+:\d+: ERROR/);
    expect(JSON.parse((await get(`${url!}/`)).body)).toMatchObject({ version: 'one' });
    writeFileSync(join(dir, 'app.ts'), appSource('three'));
    await waitForVersion(`${url!}/`, 'three');
  }, 60_000);

  it('waits for a change when the first start fails (uvicorn keeps the reloader up), then serves', async () => {
    writeFileSync(join(dir, 'app.ts'), 'throw new Error("not yet");\n');
    running = stackware(['serve', join(dir, 'app.ts'), '--port', '0', '--no-access-log', '--reload'], {}, dir);
    await running.waitFor(/failed to start \(exit code 1\); nothing is served\. Waiting for the next change\./);
    expect(running.output()).toContain('not yet');
    writeFileSync(join(dir, 'app.ts'), appSource('fixed'));
    const [, url] = await running.waitFor(READY);
    expect(JSON.parse((await get(`${url!}/`)).body)).toMatchObject({ version: 'fixed' });
  }, 60_000);

  it('ignores node_modules, dot-folders, dist and unlisted files; --reload-include adds a glob, --reload-exclude removes one', async () => {
    for (const sub of ['node_modules', '.cache', 'dist', 'src']) mkdirSync(join(dir, sub));
    running = stackware(['serve', join(dir, 'app.ts'), '--port', '0', '--no-access-log', '--reload-dir', dir, '--reload-include', '*.txt', '--reload-exclude', 'skip-*.ts'], {}, dir);
    await running.waitFor(READY);
    writeFileSync(join(dir, 'node_modules', 'dep.js'), 'x');
    writeFileSync(join(dir, '.cache', 'c.json'), '{}');
    writeFileSync(join(dir, 'dist', 'app.js'), 'x');
    writeFileSync(join(dir, 'notes.md'), 'x');
    writeFileSync(join(dir, 'skip-me.ts'), 'x');
    await sleep(1000);
    expect(running.output()).not.toMatch(/detected changes/);
    writeFileSync(join(dir, 'src', 'readme.txt'), 'x');
    await running.waitFor(/detected changes in 'src\/readme\.txt'\. Reloading\.\.\./);
    expect(running.output()).not.toMatch(/node_modules|\.cache|dist\/|notes\.md|skip-me/);
  }, 60_000);

  it('debounces a burst of saves into one reload', async () => {
    running = stackware(['serve', join(dir, 'app.ts'), '--port', '0', '--no-access-log', '--reload'], {}, dir);
    await running.waitFor(READY);
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(dir, 'app.ts'), appSource(`v${i}`));
      await sleep(20);
    }
    await running.waitFor(/is serving; stopping server process/);
    await sleep(800);
    expect(running.output().match(/Reloading\.\.\./g)).toHaveLength(1);
  }, 60_000);

  it('stops the reloader and its server process on SIGTERM', async () => {
    running = stackware(['serve', join(dir, 'app.ts'), '--port', '0', '--no-access-log', '--reload'], {}, dir);
    const [, , pid] = await running.waitFor(READY);
    running.child.kill('SIGTERM');
    expect(await running.exited(15_000)).toBe(0);
    expect(running.output()).toMatch(/Stopping reloader process \[\d+\]/);
    expect(alive(Number(pid))).toBe(false);
  }, 60_000);
});
