import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, type Request } from 'stackware';
import { SpoolDirectories } from '../lib/spool';
import { recordingLogger, serve, sleep } from './helpers';

// Uploads that end badly must give back every file descriptor and every temporary directory.
// Each spec worker has its own TMPDIR, so the directories counted are this file's alone.
const ownTmp = mkdtempSync(join(tmpdir(), 'stackware-leak-spec-'));
const savedTmp = process.env.TMPDIR;
beforeAll(() => {
  process.env.TMPDIR = ownTmp;
});
afterAll(() => {
  process.env.TMPDIR = savedTmp;
  rmSync(ownTmp, { recursive: true, force: true });
});

const BOUNDARY = 'leakboundary';
const spoolDirs = (): string[] => readdirSync(ownTmp).filter((name) => name.startsWith('stackware-upload-'));
const openFds = (): string[] => readdirSync('/proc/self/fd');
const deletedOpenFiles = (): string[] =>
  openFds()
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.includes('stackware-upload-'));

const PREAMBLE = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
const CLOSING = `\r\n--${BOUNDARY}--\r\n`;

/** A multipart upload request of one file; `declared` bytes of body announced, `body` sent. */
function upload(body: string, declared = body.length, close = false): string {
  return (
    `POST /upload HTTP/1.1\r\nHost: example.com\r\n${close ? 'Connection: close\r\n' : ''}` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${declared}\r\n\r\n${body}`
  );
}

/** Sends `text`, then either cuts the connection or waits for the answer; resolves when the socket is closed. */
function send(url: string, text: string, cut: boolean): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(text, () => {
        if (cut) setTimeout(() => socket.destroy(), 5);
      });
    });
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

function uploadApp(spoolSize?: number): Application {
  const app = new Application({ logger: recordingLogger(), maxBodySize: 64 * 1024 * 1024 });
  app.post('/upload', async (request: Request) => {
    const form = await request.form(spoolSize === undefined ? undefined : { spoolSize });
    const file = form.get('file');
    return { size: typeof file === 'string' || file === null ? 0 : file.size };
  });
  return app;
}

/** Waits until nothing of the uploads is left open or on disk (bounded), then checks. */
async function expectNothingLeft(baselineFds: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && (deletedOpenFiles().length > 0 || spoolDirs().length > 0 || openFds().length > baselineFds + 5)) {
    await sleep(20);
  }
  expect(deletedOpenFiles()).toEqual([]);
  expect(spoolDirs()).toEqual([]);
  expect(openFds().length).toBeLessThanOrEqual(baselineFds + 5);
}

const KB = 1024;
const ROUNDS = 150;

describe('uploads that end badly leak no file descriptor and no temporary file (attack sweep)', () => {
  it(`a client aborting mid-file after spoolSize, ${ROUNDS} times: fds back to the baseline, no temp directory left`, async () => {
    const server = await serve(uploadApp(4 * KB));
    try {
      const baseline = openFds().length;
      // 512 KiB announced, 64 KiB sent, then the client is gone.
      const text = upload(PREAMBLE + 'x'.repeat(64 * KB), PREAMBLE.length + 512 * KB + CLOSING.length);
      for (let i = 0; i < ROUNDS; i += 10) await Promise.all(Array.from({ length: 10 }, () => send(server.url, text, true)));
      await expectNothingLeft(baseline);
    } finally {
      await server.close();
    }
  }, 60_000);

  it(`a body truncated or malformed after the file passed spoolSize, ${ROUNDS} times each: a 400 each time, nothing left`, async () => {
    const server = await serve(uploadApp(4 * KB));
    try {
      const baseline = openFds().length;
      const file = 'x'.repeat(64 * KB);
      // The whole declared body arrives, but the closing boundary never does, or garbage follows the file.
      const truncated = upload(PREAMBLE + file, undefined, true);
      const malformed = upload(`${PREAMBLE}${file}\r\n--${BOUNDARY}\r\nbroken part headers`, undefined, true);
      for (const text of [truncated, malformed]) {
        for (let i = 0; i < ROUNDS; i += 10) {
          const answers = await Promise.all(Array.from({ length: 10 }, () => send(server.url, text, false)));
          for (const answer of answers) expect(answer.slice(0, 12)).toBe('HTTP/1.1 400');
        }
      }
      await expectNothingLeft(baseline);
    } finally {
      await server.close();
    }
  }, 60_000);

  it(`with default options (the buffered path), truncated 300 KB files, ${ROUNDS} times: nothing left`, async () => {
    const server = await serve(uploadApp());
    try {
      const baseline = openFds().length;
      const file = 'y'.repeat(300 * KB);
      const truncated = upload(PREAMBLE + file, undefined, true);
      const cut = upload(PREAMBLE + file.slice(0, 100 * KB), PREAMBLE.length + file.length + CLOSING.length);
      for (let i = 0; i < ROUNDS; i += 10) {
        const answers = await Promise.all(Array.from({ length: 10 }, () => send(server.url, truncated, false)));
        for (const answer of answers) expect(answer.slice(0, 12)).toBe('HTTP/1.1 400');
        await Promise.all(Array.from({ length: 10 }, () => send(server.url, cut, true)));
      }
      await expectNothingLeft(baseline);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('app.fetch: a body stream that errors mid-file, and a response dropped unread after the client left, leave nothing', async () => {
    const app = uploadApp(4 * KB);
    const baseline = openFds().length;
    for (let i = 0; i < 50; i++) {
      let sent = 0;
      const failing = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 0) controller.enqueue(new TextEncoder().encode(PREAMBLE));
          else if (sent < 8) controller.enqueue(new Uint8Array(16 * KB).fill(120));
          else controller.error(new Error('network gone'));
          sent++;
        },
      });
      const aborter = new AbortController();
      const response = await app.fetch(
        new globalThis.Request('http://example.com/upload', {
          method: 'POST',
          headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
          body: failing,
          duplex: 'half',
          signal: aborter.signal,
        } as RequestInit),
      );
      expect(response.status).toBeGreaterThanOrEqual(400);
      // The client goes away without reading the answer.
      aborter.abort();
    }
    await expectNothingLeft(baseline);
  }, 60_000);
});

describe('SpoolDirectories', () => {
  it('removes a directory whose creation was still under way when the request ended (the same-tick race)', async () => {
    const spool = new SpoolDirectories();
    const creating = spool.create().catch((error: unknown) => error);
    await spool.removeAll();
    await creating;
    expect(spoolDirs()).toEqual([]);
    await expect(spool.create()).rejects.toThrow('The request is over');
    expect(spoolDirs()).toEqual([]);
  });

  it('removes what is left when the process exits', () => {
    const dir = mkdtempSync(join(ownTmp, 'exit-'));
    const script = join(dir, 'spool-exit.ts');
    writeFileSync(
      script,
      `import { SpoolDirectories } from ${JSON.stringify(join(__dirname, '../lib/spool'))};\n` +
        `const spool = new SpoolDirectories();\n` +
        `spool.create().then((d) => { console.log(d); process.exit(0); });\n`,
    );
    const printed = execFileSync(process.execPath, [require.resolve('tsx/cli'), script], {
      env: { ...process.env, TMPDIR: dir },
      encoding: 'utf8',
      timeout: 20_000,
    }).trim();
    expect(printed).toContain('stackware-upload-');
    expect(readdirSync(dir).filter((name) => name.startsWith('stackware-upload-'))).toEqual([]);
  });
});
