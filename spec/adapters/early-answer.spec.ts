import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Application, BaseHTTPMiddleware, HTTPException, type CallNext, type Request, type Response } from 'stackware';
import { recordingLogger, serve, describeWith } from '../helpers';

const UPLOAD = 8 * 1024 * 1024;
const UPLOADS = 20;
type Framing = 'content-length' | 'chunked';

/**
 * Uploads `size` bytes the way Python's `requests` does: the whole request is written first, and
 * only then is the answer read. Resolves with the status received, or with what went wrong.
 */
function uploadThenRead(port: number, path: string, framing: Framing, headers = ''): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.pause();
    let received = '';
    let failure: string | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve(status !== null && received.includes('\r\n\r\n') ? status[1] : (failure ?? 'no answer'));
    };
    const timer = setTimeout(() => {
      failure ??= 'timeout';
      finish();
    }, 10_000);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= error.code ?? error.message;
      finish();
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) finish();
    });
    socket.on('end', finish);
    const length = framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${UPLOAD}`;
    socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\ncontent-type: application/octet-stream\r\n${headers}${length}\r\n\r\n`);
    const data = Buffer.alloc(64 * 1024, 97);
    const piece = framing === 'chunked' ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]) : data;
    let sent = 0;
    const pump = (): void => {
      while (sent < UPLOAD) {
        sent += data.length;
        if (!socket.write(piece)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (framing === 'chunked') socket.write('0\r\n\r\n');
      socket.resume(); // all written: now read the answer
    };
    pump();
  });
}

/** How many of {@link UPLOADS} uploads received `status`, and what the others got. */
async function uploads(port: number, path: string, framing: Framing, status: string, headers = ''): Promise<{ ok: number; others: string[] }> {
  let ok = 0;
  const others: string[] = [];
  for (let i = 0; i < UPLOADS; i++) {
    const got = await uploadThenRead(port, path, framing, headers);
    if (got === status) ok += 1;
    else others.push(got);
  }
  return { ok, others };
}

class RequireToken extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    if (request.headers.get('authorization') !== 'Bearer ok') throw new HTTPException(401, 'Not authenticated');
    return callNext(request);
  }
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

describe('early answers to uploads reach a client that reads only after sending (lingering close)', () => {
  const framings: Framing[] = ['content-length', 'chunked'];
  let stackware: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    const app = new Application({ logger: recordingLogger() });
    app.post('/limited', async (request) => (await request.body()).byteLength); // 1 MiB limit: a 413
    app.post('/ignores-body', () => ({ ignored: true }));
    const guarded = new Application({ logger: recordingLogger() });
    guarded.addMiddleware(RequireToken);
    guarded.post('/upload', async (request) => (await request.body()).byteLength);
    app.mount('/guarded', guarded);
    stackware = await serve(app);
  });
  afterAll(() => stackware.close());

  it.each(framings)('a 413 past maxBodySize, %s: 20 uploads of 8 MiB, 20 answers', async (framing) => {
    expect(await uploads(portOf(stackware.server), '/limited', framing, '413')).toEqual({ ok: UPLOADS, others: [] });
  }, 60_000);

  it.each(framings)('a 401 from an auth middleware, %s: 20 uploads of 8 MiB, 20 answers', async (framing) => {
    expect(await uploads(portOf(stackware.server), '/guarded/upload', framing, '401')).toEqual({ ok: UPLOADS, others: [] });
  }, 60_000);

  it.each(framings)('a route that never reads its body, %s: 20 uploads of 8 MiB, 20 answers', async (framing) => {
    expect(await uploads(portOf(stackware.server), '/ignores-body', framing, '200')).toEqual({ ok: UPLOADS, others: [] });
  }, 60_000);

  it('closes a connection whose client keeps sending past lingeringMaxBytes, or past lingeringTimeout', async () => {
    const app = new Application({ logger: recordingLogger(), lingeringMaxBytes: 256 * 1024, lingeringTimeout: 0.5 });
    app.post('/', () => ({ ignored: true }));
    const server = await serve(app);
    try {
      // Declares 100 MB and sends it as fast as it can: the server reads 256 KiB of it, then closes.
      const flood = await new Promise<{ answer: string; closedAfter: number }>((resolve) => {
        const socket = connect(portOf(server.server), '127.0.0.1');
        const started = Date.now();
        let answer = '';
        socket.on('error', () => undefined);
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
        socket.on('close', () => resolve({ answer, closedAfter: Date.now() - started }));
        socket.write(`POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 100000000\r\n\r\n`);
        const data = Buffer.alloc(64 * 1024, 97);
        const pump = (): void => {
          while (!socket.destroyed && socket.write(data));
          if (!socket.destroyed) socket.once('drain', pump);
        };
        pump();
      });
      expect(flood.answer).toMatch(/^HTTP\/1\.1 200/);
      expect(flood.closedAfter).toBeLessThan(2000);
      // Declares 100 MB, sends 100 bytes and waits: the server gives up after lingeringTimeout.
      const idle = await new Promise<{ answer: string; closedAfter: number }>((resolve) => {
        const socket = connect(portOf(server.server), '127.0.0.1');
        const started = Date.now();
        let answer = '';
        socket.on('error', () => undefined);
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
        socket.on('close', () => resolve({ answer, closedAfter: Date.now() - started }));
        socket.write(`POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 100000000\r\n\r\n${'x'.repeat(100)}`);
        setTimeout(() => socket.destroy(), 5000);
      });
      expect(idle.answer).toMatch(/^HTTP\/1\.1 200/);
      expect(idle.closedAfter).toBeGreaterThanOrEqual(450);
      expect(idle.closedAfter).toBeLessThan(2500);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('keeps the connection for the next request when the rest of the body arrives within the bounds', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.post('/', () => ({ ignored: true }));
    app.get('/next', () => ({ next: true }));
    const server = await serve(app);
    try {
      const answers = await new Promise<string>((resolve) => {
        const socket = connect(portOf(server.server), '127.0.0.1');
        let answer = '';
        const timer = setTimeout(() => socket.destroy(), 3000);
        socket.on('data', (chunk: Buffer) => {
          answer += chunk.toString('latin1');
          if (answer.includes('{"next":true}')) {
            clearTimeout(timer);
            socket.destroy();
          }
        });
        socket.on('close', () => resolve(answer));
        socket.write(`POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 200000\r\n\r\n`);
        setTimeout(() => socket.write(`${'x'.repeat(200000)}GET /next HTTP/1.1\r\nHost: x\r\n\r\n`), 100);
      });
      expect(answers).toMatch(/^HTTP\/1\.1 200[\s\S]*\{"ignored":true\}HTTP\/1\.1 200[\s\S]*\{"next":true\}$/);
    } finally {
      await server.close();
    }
  });
});

// The same client against raw node:http and Fastify answering early (bench/node_modules holds
// Fastify at the version the benchmarks use: `npm --prefix bench ci`).
const fastifyPath = join(__dirname, '..', '..', 'bench', 'node_modules', 'fastify');
const withFastify = describeWith(existsSync(fastifyPath), `Fastify in bench/node_modules (npm --prefix bench ci; .ci/run installs it)`);

interface FastifyReply {
  code(status: number): { send(body: unknown): void };
}
interface FastifyLike {
  addHook(name: 'onRequest', hook: (request: unknown, reply: FastifyReply) => Promise<void>): void;
  post(path: string, handler: () => unknown): void;
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
  server: Server;
}

withFastify('early answers: stackware next to raw node:http and Fastify, with the same client', () => {
  const framings: Framing[] = ['content-length', 'chunked'];
  let stackware: Awaited<ReturnType<typeof serve>>;
  let raw: Server;
  let fastify: FastifyLike;

  beforeAll(async () => {
    const app = new Application({ logger: recordingLogger() });
    app.post('/', () => {
      throw new HTTPException(401, 'Not authenticated');
    });
    stackware = await serve(app);
    raw = createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"detail":"Not authenticated"}');
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const createFastify = createRequire(join(fastifyPath, 'package.json'))('fastify') as (options: object) => FastifyLike;
    fastify = createFastify({ logger: false });
    // An auth hook answering before the body is parsed, as the stackware middleware does.
    fastify.addHook('onRequest', async (_request, reply) => reply.code(401).send({ detail: 'Not authenticated' }));
    fastify.post('/', () => ({ never: 'reached' }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    raw.closeAllConnections();
    await new Promise((resolve) => raw.close(resolve));
    await fastify.close();
    await stackware.close();
  });

  it.each(framings)('a 401 before the body, %s: stackware gets all 20 answers through, at least as many as the others', async (framing) => {
    const ours = await uploads(portOf(stackware.server), '/', framing, '401');
    const node = await uploads(portOf(raw), '/', framing, '401');
    const theirs = await uploads(portOf(fastify.server), '/', framing, '401');
    if (process.env.SHOW_EARLY_ANSWERS) console.log(JSON.stringify({ framing, ours, node, theirs }));
    expect(ours).toEqual({ ok: UPLOADS, others: [] });
    expect(ours.ok).toBeGreaterThanOrEqual(node.ok);
    expect(ours.ok).toBeGreaterThanOrEqual(theirs.ok);
  }, 90_000);
});
