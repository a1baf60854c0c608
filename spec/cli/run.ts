import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const root = join(__dirname, '..', '..');

/** A running `stackware` command (lib/cli.ts through tsx's loader), with its output so far. */
export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process ends first. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited(ms?: number): Promise<number | string>;
  /** SIGKILLs the process if it is still running (for the end of a test). */
  kill(): void;
}

/** Starts `stackware ...args` in the repo (or in `cwd`). */
export function stackware(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = root): Running {
  // tsx's loader by its path, so that a `cwd` outside the repo (no node_modules) finds it too.
  const tsx = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', cwd === root ? 'tsx' : tsx, join(root, 'lib', 'cli.ts'), ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const done = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    output: () => text,
    waitFor(pattern, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`Timed out waiting for ${pattern} in:\n${text}`)), ms);
        const check = (): void => {
          const match = text.match(pattern);
          if (match) finish(undefined, match);
        };
        const finish = (error?: Error, match?: RegExpMatchArray): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve(match as RegExpMatchArray);
        };
        listeners.add(check);
        void done.then((code) => finish(new Error(`stackware exited (${code}) before printing ${pattern}:\n${text}`)));
        check();
      });
    },
    exited(ms = 20_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`stackware did not exit within ${ms} ms:\n${text}`)), ms);
      });
      return Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
