import { parseArgs } from 'node:util';

/** What `stackware serve` was asked to do. */
export interface ServeCommand {
  readonly command: 'serve';
  readonly target: string;
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  /** Seconds to let requests in flight finish on shutdown before their connections are closed. */
  readonly gracefulTimeout: number;
  /** Seconds a response may wait for the client to take a byte; undefined: the application's (60 s by default). */
  readonly sendTimeout?: number;
}

/** What `stackware routes` was asked to do. */
export interface RoutesCommand {
  readonly command: 'routes';
  readonly target: string;
}

/** A parsed command line. */
export type Command = ServeCommand | RoutesCommand | { readonly command: 'help' } | { readonly command: 'version' };

/** A command line that cannot be run; the message says why. */
export class UsageError extends Error {}

/** The help text. */
export const USAGE = `Usage:
  stackware serve <module>[:export] [--host HOST] [--port PORT] [--workers N] [--graceful-timeout S]
                  [--timeout-send S]
  stackware routes <module>[:export]

  <module>   a .js, .mjs, .cjs or (with tsx installed) .ts file; the export is \`app\` unless named
  --host     the address to listen on (HOST, else 127.0.0.1)
  --port     the port to listen on (PORT, else 8000; 0 picks a free one)
  --workers  processes serving the same port, through node:cluster (default 1)
  --graceful-timeout  seconds requests in flight get on SIGTERM/SIGINT before closing (default 10)
  --timeout-send      seconds a response may wait for the client to take a byte before the
                      connection is closed (default: the app's sendTimeout, 60; 0 for none)`;

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
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
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
  return {
    command,
    target,
    host: values.host ?? env.HOST ?? '127.0.0.1',
    port: integer('port', values.port ?? env.PORT ?? '8000', 0, 65535),
    workers: integer('workers', values.workers ?? '1', 1, 1024),
    gracefulTimeout: integer('graceful-timeout', values['graceful-timeout'] ?? '10', 0, 86400),
    ...(values['timeout-send'] === undefined ? {} : { sendTimeout: integer('timeout-send', values['timeout-send'], 0, 86400) }),
  };
}
