import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';

/** True when Debian's `redis-server` is on the PATH. */
export const redisAvailable = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
export const REDIS_MISSING = 'redis-server (apt-get install -y redis-server; .ci/run installs it)';

/** A real Redis on a unix socket in a temp folder, no persistence; `stop()` kills it and removes the folder. */
export interface RedisServer {
  socket: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and removes the folder. */
  dispose(): Promise<void>;
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts redis-server on a unix socket; with `tcpPort`, also on 127.0.0.1:`tcpPort` (for examples that take a redis:// URL). */
export async function startRedis(tcpPort = 0): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'stackware-redis-'));
  const socket = join(dir, 'redis.sock');
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    socket,
    async start() {
      child = spawn('redis-server', ['--port', String(tcpPort), '--bind', '127.0.0.1', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], {
        stdio: 'ignore',
      });
      const started = child;
      let failed: Error | undefined;
      started.once('error', (error) => (failed = error));
      await waitFor(() => failed !== undefined || started.exitCode !== null || existsSync(socket), 5000, 'redis-server to open its socket');
      if (failed !== undefined || started.exitCode !== null) throw new Error(`redis-server could not be started: ${failed?.message ?? `exit ${started.exitCode}`}`);
    },
    async stop() {
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
      rmSync(socket, { force: true });
    },
    async dispose() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** A connected node-redis client for a store under test: no offline queue, errors swallowed (the store reports them). */
export async function redisClient(socket: string): Promise<ReturnType<typeof createClient>> {
  const client = createClient({ disableOfflineQueue: true, socket: { path: socket, reconnectStrategy: () => 50 } });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
