import cluster, { type Worker } from 'node:cluster';
import { CLUSTER_METRICS_ENV, answerClusterMetrics } from '../cluster-metrics';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestListener } from '../adapters/node';
import { createUpgradeListener } from '../adapters/node-upgrade';
import type { HTTPApp } from '../middleware/base';
import { AccessLogMiddleware } from '../middleware/accesslog';
import { ConcurrencyLimitMiddleware } from '../middleware/concurrency';
import { ProxyHeadersMiddleware } from '../middleware/proxyheaders';
import { RootPathMiddleware } from '../root-path';
import { FORCED_CLOSE_EVENT, InFlight, makeGraceful } from '../server';
import { LOG_LEVELS, type LogLevel, type ServeCommand } from './args';
import { LoadError, loadApp, parseTarget } from './load';
import { RELOAD_PORT_ENV, superviseReload } from './reload';

/** Where the command writes its lines (stdout for news, stderr for trouble). */
export interface Output {
  info(line: string): void;
  error(line: string): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** The graceful timeout when neither `--graceful-timeout` nor the application says. */
const DEFAULT_GRACEFUL_TIMEOUT = 30;

/** True when messages of `level` are printed at the chosen `--log-level`. */
function levelAllows(chosen: LogLevel, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(chosen);
}

/** The URL a browser would use for `host:port`. */
export function serverUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** An `Application` (from this copy of stackware or another): it runs its lifespan and closes gracefully itself. */
interface Listening extends HTTPApp {
  listen(port: number, host: string, options: { shutdownTimeout?: number; sendTimeout?: number }): Promise<Server>;
}

/** An `Application`'s `addMiddleware`, duck-typed (the app may come from another copy of stackware). */
interface AcceptsMiddleware {
  addMiddleware(cls: MiddlewareClass<object>, options?: object): void;
}
type MiddlewareClass<O> = new (app: HTTPApp, options: O) => HTTPApp;

/**
 * The layers `serve` puts in front of the app, outermost last: the concurrency limit, the access
 * log, the proxy headers (so everything inside sees the client's view), then the root path.
 */
function serverLayers(command: ServeCommand, out: Output): Array<[MiddlewareClass<never>, object]> {
  const layers: Array<[MiddlewareClass<never>, object]> = [];
  if (command.limitConcurrency !== undefined) layers.push([ConcurrencyLimitMiddleware, { limit: command.limitConcurrency }]);
  if (command.accessLog !== null && levelAllows(command.logLevel, 'info')) {
    layers.push([AccessLogMiddleware, { format: command.accessLog, write: (line: string) => out.info(line) }]);
  }
  if (command.forwardedAllowIps !== undefined) layers.push([ProxyHeadersMiddleware, { trustedHosts: command.forwardedAllowIps }]);
  if (command.rootPath !== undefined) layers.push([RootPathMiddleware, { rootPath: command.rootPath }]);
  return layers;
}

function withLayers(app: HTTPApp, layers: Array<[MiddlewareClass<never>, object]>): HTTPApp {
  if (typeof (app as Partial<AcceptsMiddleware>).addMiddleware === 'function') {
    for (const [cls, options] of layers) (app as unknown as AcceptsMiddleware).addMiddleware(cls as MiddlewareClass<object>, options);
    return app;
  }
  return layers.reduce<HTTPApp>((inner, [cls, options]) => new (cls as MiddlewareClass<object>)(inner, options), app);
}

/**
 * Starts the server: `app.listen()` for an `Application` (lifespan, graceful close waiting for
 * background tasks); any other `HTTPApp` gets the same graceful close, without a lifespan. The
 * graceful timeout is `--graceful-timeout`, else the application's `shutdownTimeout`, else 30 s.
 */
async function start(app: HTTPApp, command: ServeCommand): Promise<Server> {
  const options = { shutdownTimeout: command.gracefulTimeout, sendTimeout: command.sendTimeout };
  let server: Server;
  if (typeof (app as Partial<Listening>).listen === 'function') {
    server = await (app as Listening).listen(command.port, command.host, options);
  } else {
    const inFlight = new InFlight();
    server = makeGraceful(
      createServer(createRequestListener(app, console, inFlight, { sendTimeout: command.sendTimeout })),
      inFlight,
      command.gracefulTimeout ?? DEFAULT_GRACEFUL_TIMEOUT,
      async () => undefined,
    );
    server.on('upgrade', createUpgradeListener(app, console, inFlight, { sendTimeout: command.sendTimeout }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(command.port, command.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
  server.keepAliveTimeout = command.keepAliveTimeout * 1000;
  return server;
}

/** Serves the app in this process (alone, or as one cluster worker); exits on SIGINT/SIGTERM. */
async function serveHere(command: ServeCommand, out: Output): Promise<void> {
  const app = withLayers(await loadApp(parseTarget(command.target)), serverLayers(command, out));
  let server: Server;
  try {
    server = await start(app, command);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new LoadError(`Port ${command.port} is already in use`);
    throw error;
  }
  const address = server.address() as AddressInfo;
  const say = (line: string): void => {
    if (cluster.isPrimary && levelAllows(command.logLevel, 'info')) out.info(line);
  };
  server.on(FORCED_CLOSE_EVENT, (cutOff: number) => {
    if (cutOff > 0) out.error(`stackware: the graceful timeout ended ${cutOff} request${cutOff === 1 ? '' : 's'} still in flight`);
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) {
      // A second signal: stop now, as uvicorn does.
      out.error('stackware: forced to stop now (second signal)');
      server.closeAllConnections();
      process.exit(1);
    }
    stopping = true;
    say('stackware: shutting down');
    say('stackware: waiting for connections to close (CTRL+C to force quit)');
    server.close((error) => {
      // The graceful close hands back what the lifespan's shutdown threw: said, and a failed exit.
      if (error !== undefined) {
        out.error(`stackware: the shutdown failed: ${error.stack ?? String(error)}`);
        process.exit(1);
      }
      say(`stackware: finished server process [${process.pid}]`);
      say('stackware: stopped');
      process.exit(0);
    });
  };
  for (const signal of SIGNALS) process.on(signal, stop);
  // Announced only once the signals are handled: a supervisor that stops the server as soon as it
  // reads this line gets the graceful stop, never the default kill.
  say(`stackware: serving ${command.target} on ${serverUrl(command.host, address.port)} (pid ${process.pid})`);
}

/** The first wait before a replacement worker that failed to start is tried again, and the longest. */
const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30_000;

/**
 * Forks the workers, reports once all listen, forwards shutdown signals, restarts a worker that
 * dies. Only a failure before the cluster ever served stops it: after that, a replacement that
 * fails to start is tried again after a back-off (1 s, doubling to 30 s) while the healthy workers
 * keep serving.
 */
function supervise(command: ServeCommand, out: Output): void {
  const { file } = parseTarget(command.target);
  if (!existsSync(file)) throw new LoadError(`No such module: ${file}`);
  const ready = new Map<Worker, number>();
  let announced = false;
  let stopping = false;
  let retryMs = FIRST_RETRY_MS;
  const retries = new Set<NodeJS.Timeout>();
  const liveWorkers = (): number => Object.keys(cluster.workers ?? {}).length;
  const forkLater = (ms: number): void => {
    const timer = setTimeout(() => {
      retries.delete(timer);
      if (!stopping) cluster.fork({ [CLUSTER_METRICS_ENV]: '1' });
    }, ms);
    retries.add(timer);
  };

  const stopAll = (signal: NodeJS.Signals): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };

  answerClusterMetrics();

  cluster.on('listening', (worker, address) => {
    ready.set(worker, address.port);
    if (announced) {
      retryMs = FIRST_RETRY_MS;
      out.info(`stackware: worker ${worker.process.pid} started`);
    }
    if (announced || ready.size < command.workers) return;
    announced = true;
    const pids = [...ready.keys()].map((w) => w.process.pid).join(', ');
    out.info(`stackware: serving ${command.target} on ${serverUrl(command.host, address.port)} (${command.workers} workers, pids ${pids})`);
  });

  cluster.on('exit', (worker, code, signal) => {
    const wasReady = ready.delete(worker);
    const how = signal ?? `exit code ${code}`;
    if (stopping) {
      // A worker whose shutdown failed (it said why) makes the whole stop a failure.
      if (signal === null && code !== 0) process.exitCode = 1;
      if (liveWorkers() === 0) {
        out.info('stackware: stopped');
        process.exit();
      }
      return;
    }
    if (!wasReady && !announced) {
      out.error(`stackware: a worker failed to start (${how}); stopping`);
      stopping = true;
      stopAll('SIGTERM');
      process.exitCode = 1;
      if (liveWorkers() === 0) process.exit(1);
      return;
    }
    if (!wasReady) {
      out.error(`stackware: a replacement worker failed to start (${how}); trying again in ${retryMs / 1000} s`);
      forkLater(retryMs);
      retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
      return;
    }
    if (signal === null && code === 0) out.info(`stackware: worker ${worker.process.pid} exited (exit code 0); starting another`);
    else out.error(`stackware: worker ${worker.process.pid} died (${how}); starting another`);
    cluster.fork({ [CLUSTER_METRICS_ENV]: '1' });
  });

  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (stopping) {
        out.error('stackware: forced to stop now (second signal)');
        stopAll('SIGKILL');
        return;
      }
      stopping = true;
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      if (liveWorkers() === 0) {
        out.info('stackware: stopped');
        process.exit();
      }
      stopAll('SIGTERM');
      // A backstop only: each worker ends its own requests after its graceful timeout, which may be
      // the application's own (unknown here), so the primary waits long enough for any sane one.
      setTimeout(() => stopAll('SIGKILL'), ((command.gracefulTimeout ?? 300) + 5) * 1000).unref();
    });
  }

  for (let i = 0; i < command.workers; i++) cluster.fork({ [CLUSTER_METRICS_ENV]: '1' });
}

/**
 * `stackware serve`: one process, or with `workers > 1` a cluster primary and its workers (the
 * same command line re-run by node:cluster, each worker loading the module and sharing the port),
 * or with `--reload` a reloader and its one server process at a time.
 */
export async function runServe(command: ServeCommand, out: Output): Promise<void> {
  if (command.reload !== undefined) {
    if (cluster.isPrimary) {
      if (!existsSync(parseTarget(command.target).file)) throw new LoadError(`No such module: ${parseTarget(command.target).file}`);
      return superviseReload(command, command.reload, out, serverUrl);
    }
    // A reload child: the port the supervisor settled on (for --port 0, the same one every time).
    await serveHere({ ...command, port: Number(process.env[RELOAD_PORT_ENV] ?? command.port) }, out);
    return;
  }
  if (command.workers > 1 && cluster.isPrimary) supervise(command, out);
  else await serveHere(command, out);
}
