import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, BaseHTTPMiddleware, StaticFiles, type CallNext, type Request, type Response } from 'stackware';
import { serve, sleep, within, describeWith } from './helpers';

/**
 * A download manager's view: curl fetches a file, is killed half way, and resumes with a Range
 * request (`-C -`, and `--range` for the rest); what is on disk at the end must be the file, byte
 * for byte. Fails with a message where curl is missing.
 */
const curlAvailable = spawnSync('curl', ['--version']).status === 0;
const suite = describeWith(curlAvailable, 'curl on PATH (apt-get install curl); .ci/run installs it');

/** Runs curl to its end; rejects on a non-zero exit. */
function curl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['--silent', '--show-error', '--fail', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`curl exited with ${code}: ${stderr}`))));
  });
}

suite('a curl download resumed after an interruption', () => {
  jest.setTimeout(30_000);
  const directory = mkdtempSync(join(tmpdir(), 'stackware-resume-'));
  const SIZE = 6 * 1024 * 1024 + 123;
  const content = randomBytes(SIZE);
  writeFileSync(join(directory, 'archive.bin'), content);
  const ranges: Array<string | null> = [];

  class RangeLog extends BaseHTTPMiddleware {
    override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
      ranges.push(request.headers.get('range'));
      return callNext(request);
    }
  }
  const app = new Application();
  app.addMiddleware(RangeLog);
  app.mount('/files', new StaticFiles({ directory }));
  let server: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    server = await serve(app);
  });
  afterAll(() => server.close());

  /** Starts a slow curl download to `out` and kills it once at least `bytes` are on disk. */
  async function interruptedDownload(out: string, bytes: number): Promise<number> {
    const child = spawn('curl', ['--silent', '--limit-rate', '2M', '-o', out, `${server.url}/files/archive.bin`], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await within(
      (async () => {
        while (!existsSync(out) || statSync(out).size < bytes) await sleep(20);
      })(),
      15_000,
      'curl to write the first bytes',
    );
    child.kill('SIGKILL');
    await within(exited, 5000, 'curl to end');
    const written = statSync(out).size;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(SIZE);
    return written;
  }

  it('resumes with curl -C - (Range: bytes=N-) and ends with the exact file', async () => {
    const out = join(directory, 'download-c.bin');
    const written = await interruptedDownload(out, 1024 * 1024);
    ranges.length = 0;
    await curl(['-C', '-', '-o', out, `${server.url}/files/archive.bin`]);
    expect(ranges).toEqual([`bytes=${written}-`]);
    expect(readFileSync(out).equals(content)).toBe(true);
  });

  it('resumes with curl --range N- appended to the partial file and ends with the exact file', async () => {
    const out = join(directory, 'download-range.bin');
    const written = await interruptedDownload(out, 512 * 1024);
    const rest = join(directory, 'rest.bin');
    await curl(['--range', `${written}-`, '-o', rest, `${server.url}/files/archive.bin`]);
    const joined = Buffer.concat([readFileSync(out), readFileSync(rest)]);
    expect(joined.byteLength).toBe(SIZE);
    expect(joined.equals(content)).toBe(true);
  });
});
