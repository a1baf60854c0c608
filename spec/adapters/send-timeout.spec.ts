import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, FileResponse, Response, StreamingResponse, type ErrorLogger } from 'stackware';
import { serve, sleep, until, within } from '../helpers';

/** A logger keeping its debug lines, so a test can see the send timeout report itself once. */
function debugLogger(): ErrorLogger & { debugs: string[]; errors: unknown[] } {
  const debugs: string[] = [];
  const errors: unknown[] = [];
  return { debugs, errors, error: (message, error) => errors.push([message, error]), debug: (message) => debugs.push(message) };
}

/** Sends `GET path` on a raw socket and never reads a byte of the answer. */
function neverReading(url: string, path: string): Socket {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  socket.on('error', () => undefined); // the server resets it: expected
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  socket.pause();
  return socket;
}

function connections(server: Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

/** An endless stream of 64 KiB chunks that records whether it was stopped. */
function endless(): { body: AsyncGenerator<Uint8Array>; stopped: () => boolean } {
  let stopped = false;
  const chunk = new Uint8Array(64 * 1024).fill(120);
  const body = (async function* () {
    try {
      for (;;) yield chunk;
    } finally {
      stopped = true;
    }
  })();
  return { body, stopped: () => stopped };
}

/** The file descriptors of this process open on `path`. */
function openFds(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;
}

describe('send timeout: a client that stops reading', () => {
  it('stops a long stream, closes the connection and logs once at debug level when the socket takes no bytes for sendTimeout', async () => {
    const logger = debugLogger();
    const app = new Application({ logger, sendTimeout: 0.3 });
    const streams: Array<ReturnType<typeof endless>> = [];
    app.get('/endless', () => {
      const stream = endless();
      streams.push(stream);
      return new StreamingResponse(stream.body);
    });
    const server = await serve(app);
    const clients = [neverReading(server.url, '/endless'), neverReading(server.url, '/endless')];
    try {
      await until(() => streams.length === 2, 'both streams to start', 2000);
      await until(() => streams.every((s) => s.stopped()), 'the streams to be stopped', 5000);
      await until(async () => (await connections(server.server)) === 0, 'the server to close both connections', 2000);
      expect(logger.debugs).toHaveLength(2);
      expect(logger.debugs[0]).toMatch(/^Send timeout: the client took no bytes for 0\.3 s; closed the connection \(GET \/endless\)$/);
      expect(logger.errors).toEqual([]);
    } finally {
      for (const client of clients) client.destroy();
      await server.close();
    }
  });

  it('closes the file of a FileResponse whose client never reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackware-send-timeout-'));
    const path = join(dir, 'big.bin');
    writeFileSync(path, Buffer.alloc(8 * 1024 * 1024, 1));
    const app = new Application({ logger: debugLogger(), sendTimeout: 0.3 });
    app.get('/file', () => new FileResponse(path));
    const server = await serve(app);
    const client = neverReading(server.url, '/file');
    try {
      await until(() => openFds(path) > 0, 'the file to be opened', 2000);
      await until(() => openFds(path) === 0, 'the file to be closed', 5000);
      await until(async () => (await connections(server.server)) === 0, 'the connection to be closed', 2000);
    } finally {
      client.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closes the connection of a large fixed body the client never reads', async () => {
    const logger = debugLogger();
    const app = new Application({ logger, sendTimeout: 0.3 });
    app.get('/big', () => new Response(Buffer.alloc(32 * 1024 * 1024, 1)));
    const server = await serve(app);
    const client = neverReading(server.url, '/big');
    try {
      await until(async () => (await connections(server.server)) === 1, 'the server to start answering', 2000);
      await until(async () => (await connections(server.server)) === 0, 'the connection to be closed', 5000);
      expect(logger.debugs).toHaveLength(1);
    } finally {
      client.destroy();
      await server.close();
    }
  });

  it('never cuts off a slow reader that keeps taking bytes, even when the whole response takes longer than sendTimeout', async () => {
    const logger = debugLogger();
    const app = new Application({ logger, sendTimeout: 1 });
    const total = 32 * 1024 * 1024;
    app.get('/long', () =>
      new StreamingResponse(
        (async function* () {
          const chunk = new Uint8Array(64 * 1024).fill(121);
          for (let sent = 0; sent < total; sent += chunk.byteLength) yield chunk;
        })(),
      ),
    );
    const server = await serve(app);
    const socket = neverReading(server.url, '/long');
    try {
      // Bursts of 2 MiB, each after a 400 ms pause: between two bursts the socket takes nothing
      // for less than sendTimeout, while the whole body takes several times sendTimeout.
      const started = Date.now();
      let received = 0;
      let burst = 0;
      await within(
        new Promise<void>((resolve, reject) => {
          socket.on('close', () => reject(new Error(`the connection was closed after ${received} bytes`)));
          socket.on('data', (chunk: Buffer) => {
            received += chunk.byteLength;
            burst += chunk.byteLength;
            if (received > total) resolve();
            else if (burst >= 2 * 1024 * 1024) {
              burst = 0;
              socket.pause();
              setTimeout(() => socket.resume(), 400);
            }
          });
          setTimeout(() => socket.resume(), 400);
        }),
        20_000,
        'the slow reader to get the whole body',
      );
      expect(Date.now() - started).toBeGreaterThan(3000);
      expect(logger.debugs).toEqual([]);
    } finally {
      socket.destroy();
      await server.close();
    }
  }, 30_000);

  it("applies a route's sendTimeout in place of the application's", async () => {
    const logger = debugLogger();
    const app = new Application({ logger, sendTimeout: 60 });
    const streams: Record<string, ReturnType<typeof endless>> = {};
    app.get('/strict', () => new StreamingResponse((streams.strict = endless()).body), { sendTimeout: 0.3 });
    app.get('/lenient', () => new StreamingResponse((streams.lenient = endless()).body));
    const server = await serve(app);
    const clients = [neverReading(server.url, '/strict'), neverReading(server.url, '/lenient')];
    try {
      await until(() => streams.strict?.stopped() === true, 'the strict route to be cut off', 5000);
      await sleep(600); // twice the strict timeout: the lenient one is still waiting on its client
      expect(streams.lenient?.stopped()).toBe(false);
      expect(await connections(server.server)).toBe(1);
      expect(logger.debugs).toEqual([expect.stringContaining('(GET /strict)')]);
    } finally {
      for (const client of clients) client.destroy();
      await server.close();
    }
  });

  it('waits forever with sendTimeout 0, and listen({ sendTimeout }) overrides the application', async () => {
    const app = new Application({ logger: debugLogger(), sendTimeout: 0 });
    let stream: ReturnType<typeof endless> | undefined;
    app.get('/endless', () => new StreamingResponse((stream = endless()).body));
    const server = await app.listen(0, '127.0.0.1', { sendTimeout: 0.3 });
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const client = neverReading(url, '/endless');
    try {
      await until(() => stream?.stopped() === true, 'listen’s send timeout to cut the stream', 5000);
    } finally {
      client.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    const waiting = await serve(app);
    const patient = neverReading(waiting.url, '/endless');
    try {
      await until(() => stream !== undefined && !stream.stopped(), 'the stream to start', 2000);
      await sleep(700);
      expect(stream?.stopped()).toBe(false);
    } finally {
      patient.destroy();
      await waiting.close();
    }
  });

  it('refuses a negative or non-finite sendTimeout at construction', () => {
    expect(() => new Application({ sendTimeout: -1 })).toThrow(/sendTimeout must be a number >= 0/);
    expect(() => new Application({ sendTimeout: Number.NaN })).toThrow(TypeError);
  });
});
