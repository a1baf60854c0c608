#!/usr/bin/env node
/**
 * The `stackware` command: `stackware serve module[:app]` serves an app (the uvicorn of
 * stackware), `stackware routes module[:app]` prints its middleware stack and routes.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { USAGE, UsageError, parseCommand } from './cli/args';
import { describeApp } from './cli/describe';
import { LoadError, loadApp, parseTarget } from './cli/load';
import { runServe, type Output } from './cli/serve';

const stdio: Output = {
  info: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
};

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the command line `argv` (without `node` and the script). */
export async function main(argv: readonly string[], out: Output = stdio): Promise<void> {
  try {
    const command = parseCommand(argv);
    switch (command.command) {
      case 'help':
        out.info(USAGE);
        return;
      case 'version':
        out.info(version());
        return;
      case 'routes':
        out.info(describeApp(await loadApp(parseTarget(command.target))));
        return;
      case 'serve':
        await runServe(command, out);
        return;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      out.error(error.showUsage ? `stackware: ${error.message}\n\n${USAGE}` : `stackware: ${error.message}`);
      process.exitCode = 2;
    } else if (error instanceof LoadError) {
      out.error(`stackware: ${error.message}`);
      process.exitCode = 1;
    } else {
      out.error(`stackware: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exitCode = 1;
    }
    // Loaders and a cluster worker's channel to its primary would keep the process alive.
    process.exit();
  }
}

if (require.main === module) void main(process.argv.slice(2));
