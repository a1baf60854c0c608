import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { normalizeRootPath } from '../root-path';
import type { ReloadSettings } from './reload';
import { DEFAULT_RELOAD_EXCLUDES, DEFAULT_RELOAD_INCLUDES } from './watch';

/** What `stackware serve` was asked to do. */
export interface ServeCommand {
  readonly command: 'serve';
  readonly target: string;
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  /** Seconds to let requests in flight finish on shutdown; undefined: the application's `shutdownTimeout` (30 s by default). */
  readonly gracefulTimeout?: number;
  /** Trust proxy headers from these peers (`--proxy-headers`, `--forwarded-allow-ips`); undefined: off. */
  readonly forwardedAllowIps?: string;
  /** The access-log format, or null for none (`--no-access-log`). */
  readonly accessLog: 'text' | 'json' | null;
  /** Which of stackware's own messages are printed. */
  readonly logLevel: LogLevel;
  /** Past this many requests in flight, a 503 at once (`--limit-concurrency`). */
  readonly limitConcurrency?: number;
  /** Seconds an idle keep-alive connection is kept open (`--timeout-keep-alive`, 5). */
  readonly keepAliveTimeout: number;
  /** Seconds a response may wait for the client to take a byte; undefined: the application's (60 s by default). */
  readonly sendTimeout?: number;
  /** The prefix the proxy in front strips (`--root-path`), normalised; undefined: none. */
  readonly rootPath?: string;
  /** `--reload`: what to watch; undefined: no reloading. */
  readonly reload?: ReloadSettings;
}

/** uvicorn's log levels, most severe first. */
export const LOG_LEVELS = ['critical', 'error', 'warning', 'info', 'debug', 'trace'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What `stackware routes` was asked to do. */
export interface RoutesCommand {
  readonly command: 'routes';
  readonly target: string;
}

/** A parsed command line. */
export type Command = ServeCommand | RoutesCommand | { readonly command: 'help' } | { readonly command: 'version' };

/** A command line that cannot be run; the message says why. */
export class UsageError extends Error {
  /** False when the message is enough on its own (it says to run `stackware --help`). */
  showUsage = true;
}

/** An option the command does not know: one line that says so, never Node's parser text. */
function unknownOption(error: Error): UsageError | null {
  if ((error as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return null;
  const option = /'(-[^']*)'/.exec(error.message)?.[1] ?? 'given';
  const usage = new UsageError(`Unknown option ${option}. Run stackware --help`);
  usage.showUsage = false;
  return usage;
}

/** The help text. */
export const USAGE = `Usage:
  stackware serve <module>[:export] [--host HOST] [--port PORT] [--workers N] [--graceful-timeout S]
                  [--timeout-send S] [--timeout-keep-alive S] [--limit-concurrency N]
                  [--proxy-headers] [--forwarded-allow-ips LIST] [--root-path PATH]
                  [--access-log-format text|json] [--no-access-log] [--log-level LEVEL]
                  [--reload] [--reload-dir DIR]... [--reload-include GLOB]... [--reload-exclude GLOB]...
                  [--reload-delay S]
  stackware routes <module>[:export]

  <module>   a .js, .mjs, .cjs or (with tsx installed) .ts file; the export is \`app\` unless named
  --host     the address to listen on (HOST, else 127.0.0.1)
  --port     the port to listen on (PORT, else 8000; 0 picks a free one)
  --workers  processes serving the same port, through node:cluster (default 1)
  --graceful-timeout  seconds requests in flight get on SIGTERM/SIGINT before closing (default:
                      the app's shutdownTimeout, 30)
  --timeout-send      seconds a response may wait for the client to take a byte before the
                      connection is closed (default: the app's sendTimeout, 60; 0 for none)
  --timeout-keep-alive  seconds an idle keep-alive connection stays open (default 5)
  --limit-concurrency   past N requests in flight, answer 503 at once
  --proxy-headers       trust the client, scheme and host a proxy forwards, from --forwarded-allow-ips
  --forwarded-allow-ips comma-separated addresses/networks of trusted proxies, or '*'
                        (FORWARDED_ALLOW_IPS, else 127.0.0.1); implies --proxy-headers
  --root-path PATH      the prefix a proxy in front strips (/api): put back in front of the paths
                        and URLs the app sees and builds; routing matches the path below it
  --access-log-format   text (uvicorn's line, default) or json (one object per line)
  --no-access-log       no access log
  --log-level           critical, error, warning, info (default), debug or trace
  --reload              development: restart the server when a watched file changes; the old
                        process serves until the new one listens (not with --workers)
  --reload-dir DIR      watch DIR instead of the working directory (repeatable; implies --reload)
  --reload-include GLOB also watch files matching GLOB (default *.ts *.mts *.cts *.js *.mjs *.cjs *.json)
  --reload-exclude GLOB|DIR  skip matching files and directories (default .* *~ node_modules dist)
  --reload-delay S      quiet seconds after a change before reloading (default 0.25)`;

function integer(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Parses `argv` (without `node` and the script); `env` supplies HOST and PORT defaults. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        workers: { type: 'string' },
        'graceful-timeout': { type: 'string' },
        'timeout-send': { type: 'string' },
        'timeout-keep-alive': { type: 'string' },
        'limit-concurrency': { type: 'string' },
        'proxy-headers': { type: 'boolean' },
        'forwarded-allow-ips': { type: 'string' },
        'access-log-format': { type: 'string' },
        'no-access-log': { type: 'boolean' },
        'log-level': { type: 'string' },
        'root-path': { type: 'string' },
        reload: { type: 'boolean' },
        'reload-dir': { type: 'string', multiple: true },
        'reload-include': { type: 'string', multiple: true },
        'reload-exclude': { type: 'string', multiple: true },
        'reload-delay': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw unknownOption(error as Error) ?? new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const [command, target, ...extra] = positionals;
  if (command === undefined) throw new UsageError('No command given');
  if (command !== 'serve' && command !== 'routes') throw new UsageError(`Unknown command ${JSON.stringify(command)}`);
  if (target === undefined) throw new UsageError(`stackware ${command} needs a module: stackware ${command} path/to/module.js[:app]`);
  if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(' ')}`);
  if (command === 'routes') return { command, target };
  const format = values['access-log-format'] ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--access-log-format must be text or json, got ${JSON.stringify(format)}`);
  const logLevel = (values['log-level'] ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(values['log-level'])}`);
  let rootPath: string;
  try {
    rootPath = normalizeRootPath(values['root-path'], '--root-path');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const reload = reloadSettings(values);
  const workers = integer('workers', values.workers ?? '1', 1, 1024);
  if (reload !== undefined && workers > 1) {
    const usage = new UsageError('--reload and --workers cannot be combined: the reloader runs one server process. Drop one of them.');
    usage.showUsage = false;
    throw usage;
  }
  const proxyHeaders = values['proxy-headers'] === true || values['forwarded-allow-ips'] !== undefined;
  return {
    command,
    target,
    host: values.host ?? env.HOST ?? '127.0.0.1',
    port: integer('port', values.port ?? env.PORT ?? '8000', 0, 65535),
    workers,
    ...(values['graceful-timeout'] === undefined ? {} : { gracefulTimeout: integer('graceful-timeout', values['graceful-timeout'], 0, 86400) }),
    ...(proxyHeaders ? { forwardedAllowIps: values['forwarded-allow-ips'] ?? env.FORWARDED_ALLOW_IPS ?? '127.0.0.1' } : {}),
    accessLog: values['no-access-log'] ? null : format,
    logLevel: logLevel as LogLevel,
    ...(values['limit-concurrency'] === undefined ? {} : { limitConcurrency: integer('limit-concurrency', values['limit-concurrency'], 1, 1_000_000) }),
    keepAliveTimeout: integer('timeout-keep-alive', values['timeout-keep-alive'] ?? '5', 0, 86400),
    ...(values['timeout-send'] === undefined ? {} : { sendTimeout: integer('timeout-send', values['timeout-send'], 0, 86400) }),
    ...(rootPath === '' ? {} : { rootPath }),
    ...(reload === undefined ? {} : { reload }),
  };
}

interface ReloadValues {
  reload?: boolean;
  'reload-dir'?: string[];
  'reload-include'?: string[];
  'reload-exclude'?: string[];
  'reload-delay'?: string;
}

/**
 * What `--reload` watches, uvicorn's way: the given directories (else the working directory), the
 * default includes minus any the user excludes plus the user's, the default excludes minus any the
 * user includes plus the user's. Any `--reload-*` option turns reloading on.
 */
function reloadSettings(values: ReloadValues, cwd = process.cwd()): ReloadSettings | undefined {
  const dirs = values['reload-dir'] ?? [];
  const userIncludes = values['reload-include'] ?? [];
  const userExcludes = values['reload-exclude'] ?? [];
  const asked = values.reload === true || dirs.length + userIncludes.length + userExcludes.length > 0 || values['reload-delay'] !== undefined;
  if (!asked) return undefined;
  const resolved = dirs.map((dir) => {
    const path = resolve(cwd, dir);
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      // Reported below.
    }
    if (!isDir) throw new UsageError(`--reload-dir ${JSON.stringify(dir)} is not a directory`);
    return path;
  });
  const delay = values['reload-delay'] === undefined ? 0.25 : Number(values['reload-delay']);
  if (!Number.isFinite(delay) || delay < 0 || delay > 60) throw new UsageError(`--reload-delay must be a number of seconds from 0 to 60, got ${JSON.stringify(values['reload-delay'])}`);
  return {
    dirs: resolved.length === 0 ? [cwd] : [...new Set(resolved)].sort(),
    includes: [...new Set([...DEFAULT_RELOAD_INCLUDES.filter((glob) => !userExcludes.includes(glob)), ...userIncludes])],
    excludes: [...new Set([...DEFAULT_RELOAD_EXCLUDES.filter((glob) => !userIncludes.includes(glob)), ...userExcludes])],
    debounceMs: Math.round(delay * 1000),
  };
}
