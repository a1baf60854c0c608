import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWith } from '../helpers';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Application, BaseHTTPMiddleware, HTMLResponse, StaticFiles, type CallNext, type Request, type Response } from 'stackware';

/**
 * A video element is the browser's own range client: Chromium asks for `bytes=0-` and reads the
 * answer as it plays. The clip is recorded by Chromium itself (canvas + MediaRecorder, WebM), so no
 * video file has to be checked in. Fails with a message where Chromium is missing.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const suite = describeWith(available, `Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`);

/** Records in the page a two-second WebM of an animated canvas and returns it base64-encoded. */
const RECORD_CLIP = `(async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 160; canvas.height = 120;
  document.body.append(canvas);
  const context = canvas.getContext('2d');
  let frame = 0;
  const timer = setInterval(() => {
    frame += 1;
    context.fillStyle = 'hsl(' + (frame * 9) % 360 + ', 80%, 50%)';
    context.fillRect(0, 0, 160, 120);
    context.fillStyle = '#000';
    context.fillText(String(frame), 20 + frame % 100, 60);
  }, 20);
  const recorder = new MediaRecorder(canvas.captureStream(30), { mimeType: 'video/webm;codecs=vp8', videoBitsPerSecond: 2000000 });
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const stopped = new Promise((resolve) => (recorder.onstop = resolve));
  recorder.start(250);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  recorder.stop();
  await stopped;
  clearInterval(timer);
  const bytes = new Uint8Array(await new Blob(chunks, { type: 'video/webm' }).arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
})()`;

/** Loads the clip in a video element; resolves with what the element reached, or the error it met. */
const PLAY_CLIP = `new Promise((resolve) => {
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  const timer = setTimeout(() => resolve({ outcome: 'timeout', readyState: video.readyState }), 10000);
  video.addEventListener('loadeddata', () => { clearTimeout(timer); resolve({ outcome: 'loadeddata', readyState: video.readyState, width: video.videoWidth }); });
  video.addEventListener('error', () => { clearTimeout(timer); resolve({ outcome: 'error', code: video.error && video.error.code }); });
  video.src = '/static/clip.webm';
  document.body.append(video);
})`;

suite('a video served by StaticFiles, in a real browser (Chromium)', () => {
  jest.setTimeout(60_000);
  const directory = mkdtempSync(join(tmpdir(), 'stackware-video-'));
  const seen: Array<{ range: string | null; status: number; contentRange: string | null }> = [];
  let browser: Browser;
  let page: Page;
  let server: Server;
  let origin = '';

  class RangeLog extends BaseHTTPMiddleware {
    override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
      const response = await callNext(request);
      if (request.path === '/static/clip.webm') {
        seen.push({ range: request.headers.get('range'), status: response.statusCode, contentRange: response.headers.get('content-range') });
      }
      return response;
    }
  }

  beforeAll(async () => {
    const app = new Application();
    app.addMiddleware(RangeLog);
    app.get('/', () => new HTMLResponse('<!doctype html><title>video</title><body></body>'));
    app.mount('/static', new StaticFiles({ directory }));
    server = await app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
    page = await (await browser.newContext()).newPage();
    await page.goto(origin);
    const clip = Buffer.from((await page.evaluate(RECORD_CLIP)) as string, 'base64');
    writeFileSync(join(directory, 'clip.webm'), clip);
  });

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('plays the clip from range requests answered with 206 and Content-Range', async () => {
    const size = readFileSync(join(directory, 'clip.webm')).byteLength;
    expect(size).toBeGreaterThan(10_000);
    const result = (await page.evaluate(PLAY_CLIP)) as { outcome: string; width?: number };
    expect(result).toMatchObject({ outcome: 'loadeddata', width: 160 });
    const ranged = seen.filter((entry) => entry.range !== null);
    expect(ranged.length).toBeGreaterThan(0);
    expect(ranged[0]).toEqual({ range: 'bytes=0-', status: 206, contentRange: `bytes 0-${size - 1}/${size}` });
    expect(seen.every((entry) => entry.status === 206)).toBe(true);
  });

  it("gets exactly the bytes of a range it fetches from the clip's middle", async () => {
    const file = readFileSync(join(directory, 'clip.webm'));
    const start = Math.floor(file.byteLength / 2);
    const end = start + 4095;
    const result = await page.evaluate(
      async ({ start, end }) => {
        const res = await fetch('/static/clip.webm', { headers: { Range: `bytes=${start}-${end}` } });
        return { status: res.status, contentRange: res.headers.get('content-range'), bytes: Array.from(new Uint8Array(await res.arrayBuffer())) };
      },
      { start, end },
    );
    expect(result.status).toBe(206);
    expect(result.contentRange).toBe(`bytes ${start}-${end}/${file.byteLength}`);
    expect(Buffer.from(result.bytes).equals(file.subarray(start, end + 1))).toBe(true);
  });
});
