import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { relative } from 'node:path';
import type { ServeCommand } from './args';
import type { Output } from './serve';
import { FileWatcher } from './watch';

/** Set in a reload child's environment: the port the supervisor settled on when `--port 0` was asked. */
export const RELOAD_PORT_ENV = 'STACKWARE_RELOAD_PORT';

/** What `--reload` watches, resolved by the command line. */
export interface ReloadSettings {
  readonly dirs: readonly string[];
  readonly includes: readonly string[];
  readonly excludes: readonly string[];
  /** Quiet milliseconds after the last file event before reloading. */
  readonly debounceMs: number;
}

/** A file as uvicorn shows it: relative to the working directory when inside it, quoted. */
function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return `'${rel.startsWith('..') || rel === '' ? file : rel}'`;
}

/** A free port on `host`, for `--port 0`: every server process of the reloader then listens on the same one. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `stackware serve --reload`: this process (a node:cluster primary, which owns the listening
 * socket) watches the files and runs the server in one child process at a time. On a change it
 * starts a new child and stops the old one (gracefully, SIGTERM) only once the new one listens, so
 * requests keep being answered through a reload; a child that fails to start (a syntax error, a
 * throwing import) leaves the old one serving, and the next change tries again.
 */
export async function superviseReload(command: ServeCommand, reload: ReloadSettings, out: Output, serverUrl: (host: string, port: number) => string): Promise<void> {
  // Every server process accepts on the one listening socket this process shares with it, rather
  // than this process handing each connection over (round-robin): a connection handed to a process
  // that is closing, and exits before refusing it, would hang.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const port = command.port === 0 ? await freePort(command.host) : command.port;
  const env = { [RELOAD_PORT_ENV]: String(port) };
  out.info(`stackware: Will watch for changes in these directories: [${reload.dirs.map((dir) => `'${dir}'`).join(', ')}]`);
  out.info(`stackware: Started reloader process [${process.pid}] using fs.watch`);

  let current: Worker | undefined;
  let starting: Worker | undefined;
  let again = false;
  let stopping = false;
  let announced = false;

  const start = (): void => {
    if (stopping) return;
    if (starting !== undefined) {
      // A change while a child is still starting: it is replaced as soon as it has settled.
      again = true;
      return;
    }
    starting = cluster.fork(env);
  };

  const settled = (): void => {
    starting = undefined;
    if (again) {
      again = false;
      start();
    }
  };

  cluster.on('listening', (worker) => {
    if (worker !== starting) return;
    const old = current;
    current = worker;
    if (!announced) {
      announced = true;
      out.info(`stackware: serving ${command.target} on ${serverUrl(command.host, port)} (pid ${worker.process.pid})`);
    } else {
      out.info(`stackware: server process [${worker.process.pid}] is serving${old === undefined ? '' : `; stopping server process [${old.process.pid}]`}`);
    }
    old?.process.kill('SIGTERM');
    settled();
  });

  cluster.on('exit', (worker, code, signal) => {
    const how = signal ?? `exit code ${code}`;
    if (worker === starting && stopping) starting = undefined;
    else if (worker === starting) {
      const still = current === undefined ? 'nothing is served' : `server process [${current.process.pid}] keeps serving the previous code`;
      out.error(`stackware: the new server process [${worker.process.pid}] failed to start (${how}); ${still}. Waiting for the next change.`);
      settled();
    } else if (worker === current) {
      current = undefined;
      if (!stopping) out.error(`stackware: server process [${worker.process.pid}] exited (${how}); it starts again on the next change`);
    }
    if (stopping && Object.keys(cluster.workers ?? {}).length === 0) {
      out.info(`stackware: Stopping reloader process [${process.pid}]`);
      process.exit(0);
    }
  });

  const watcher = new FileWatcher({
    ...reload,
    onChange(files) {
      if (stopping) return;
      out.info(`stackware: fs.watch detected changes in ${files.map(display).join(', ')}. Reloading...`);
      start();
    },
  });
  watcher.start();

  const stop = (): void => {
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    if (stopping) {
      out.error('stackware: forced to stop now (second signal)');
      for (const worker of workers) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    watcher.close();
    if (workers.length === 0) {
      out.info(`stackware: Stopping reloader process [${process.pid}]`);
      process.exit(0);
    }
    for (const worker of workers) worker.process.kill('SIGTERM');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);

  start();
}
