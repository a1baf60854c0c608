import { join } from 'node:path';
import { USAGE, parseCommand, UsageError, type ServeCommand } from '../../lib/cli/args';
import type { ReloadSettings } from '../../lib/cli/reload';
import { describeApp, formatOptions } from '../../lib/cli/describe';
import { parseTarget } from '../../lib/cli/load';
import { app } from '../fixtures/stack-app';
import { stackware } from './run';

describe('stackware routes', () => {
  it('prints the middleware stack outermost first, then the routes with their own middleware', () => {
    expect(describeApp(app)).toBe(
      [
        'Middleware, outermost first (a request goes down this list, its response back up):',
        '  1.  ServerErrorMiddleware  { debug: false }',
        "  2.  CORSMiddleware         { allowOrigins: [ 'https://example.org' ] }",
        "  3.  SessionMiddleware      { secretKey: '[redacted]' }",
        '  4.  GZipMiddleware         { minimumSize: 500 }',
        '  5.  ExceptionMiddleware    { handlers: [ [class TeapotError extends Error] ] }',
        '',
        'Routes, in matching order:',
        '  GET, HEAD    /                    root',
        '  POST         /items               createItem  middleware: GZipMiddleware',
        '  MOUNT        /api/                            middleware: CORSMiddleware',
        '    GET, HEAD  /api/users/{id:int}  readUser',
      ].join('\n'),
    );
  });

  it('is the output of the command', async () => {
    const running = stackware(['routes', 'spec/fixtures/stack-app.ts']);
    try {
      expect(await running.exited()).toBe(0);
      expect(running.output()).toBe(`${describeApp(app)}\n`);
    } finally {
      running.kill();
    }
  }, 30_000);

  it('hides secret-looking options', () => {
    expect(formatOptions({ secretKey: 's', nested: { password: 'p', apiToken: 't' }, name: 'n' })).toBe(
      "{ secretKey: '[redacted]', nested: { password: '[redacted]', apiToken: '[redacted]' }, name: 'n' }",
    );
  });
});

describe('the command line', () => {
  it('reads serve options, with HOST and PORT as defaults', () => {
    expect(parseCommand(['serve', 'main.ts'], {})).toEqual({
      command: 'serve',
      target: 'main.ts',
      host: '127.0.0.1',
      port: 8000,
      workers: 1,
      accessLog: 'text',
      logLevel: 'info',
      keepAliveTimeout: 5,
    });
    expect(parseCommand(['serve', 'main.js:server', '--workers', '4', '--port', '9000'], { HOST: '0.0.0.0', PORT: '1' })).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      workers: 4,
    });
  });

  it('reads --timeout-send as the send timeout in seconds, absent unless given', () => {
    expect(parseCommand(['serve', 'main.ts', '--timeout-send', '5'], {})).toMatchObject({ sendTimeout: 5 });
    expect(parseCommand(['serve', 'main.ts', '--timeout-send', '0'], {})).toMatchObject({ sendTimeout: 0 });
    expect(parseCommand(['serve', 'main.ts'], {})).not.toHaveProperty('sendTimeout');
    expect(() => parseCommand(['serve', 'main.ts', '--timeout-send', 'soon'], {})).toThrow(/--timeout-send must be an integer from 0 to 86400/);
  });

  it('reads the serving options: graceful timeout only when given, proxy headers, access log, log level, limits', () => {
    expect(parseCommand(['serve', 'main.ts'], {})).not.toHaveProperty('gracefulTimeout');
    expect(parseCommand(['serve', 'main.ts', '--graceful-timeout', '3'], {})).toMatchObject({ gracefulTimeout: 3 });
    expect(parseCommand(['serve', 'main.ts'], {})).not.toHaveProperty('forwardedAllowIps');
    expect(parseCommand(['serve', 'main.ts', '--proxy-headers'], {})).toMatchObject({ forwardedAllowIps: '127.0.0.1' });
    expect(parseCommand(['serve', 'main.ts', '--proxy-headers'], { FORWARDED_ALLOW_IPS: '10.0.0.0/8' })).toMatchObject({ forwardedAllowIps: '10.0.0.0/8' });
    expect(parseCommand(['serve', 'main.ts', '--forwarded-allow-ips', '*'], {})).toMatchObject({ forwardedAllowIps: '*' });
    expect(parseCommand(['serve', 'main.ts', '--access-log-format', 'json'], {})).toMatchObject({ accessLog: 'json' });
    expect(parseCommand(['serve', 'main.ts', '--no-access-log'], {})).toMatchObject({ accessLog: null });
    expect(parseCommand(['serve', 'main.ts', '--log-level', 'WARNING'], {})).toMatchObject({ logLevel: 'warning' });
    expect(parseCommand(['serve', 'main.ts', '--limit-concurrency', '8', '--timeout-keep-alive', '2'], {})).toMatchObject({ limitConcurrency: 8, keepAliveTimeout: 2 });
    expect(() => parseCommand(['serve', 'main.ts', '--access-log-format', 'xml'], {})).toThrow(/text or json/);
    expect(() => parseCommand(['serve', 'main.ts', '--log-level', 'loud'], {})).toThrow(/--log-level must be one of critical, error, warning, info, debug, trace/);
  });

  it('answers an unknown option in one line of its own, never Node\'s parser text', () => {
    let error: unknown;
    try {
      parseCommand(['serve', 'x.js', '--relaod'], {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('Unknown option --relaod. Run stackware --help');
    expect((error as UsageError).showUsage).toBe(false);
  });

  it('lists --reload, its --reload-* options and --root-path in stackware --help', () => {
    for (const option of ['--reload ', '--reload-dir DIR', '--reload-include GLOB', '--reload-exclude GLOB', '--reload-delay S', '--root-path PATH']) {
      expect(USAGE).toContain(option);
    }
    expect(USAGE).not.toMatch(/node --watch/);
  });

  it('refuses --reload with --workers > 1 in one line (uvicorn ignores workers with a warning)', () => {
    let error: unknown;
    try {
      parseCommand(['serve', 'x.js', '--reload', '--workers', '2'], {});
    } catch (caught) {
      error = caught;
    }
    expect((error as UsageError).message).toBe('--reload and --workers cannot be combined: the reloader runs one server process. Drop one of them.');
    expect((error as UsageError).showUsage).toBe(false);
    expect(parseCommand(['serve', 'x.js', '--reload', '--workers', '1'], {})).toMatchObject({ workers: 1, reload: { dirs: [process.cwd()] } });
  });

  it("resolves what --reload watches uvicorn's way: defaults, includes and excludes cancelling defaults, --reload-dir implying --reload", () => {
    expect(parseCommand(['serve', 'x.js'], {})).not.toHaveProperty('reload');
    const plain = parseCommand(['serve', 'x.js', '--reload'], {});
    expect(plain).toMatchObject({ reload: { dirs: [process.cwd()], debounceMs: 250 } });
    const { reload } = plain as ServeCommand & { reload: ReloadSettings };
    expect(reload.includes).toEqual(expect.arrayContaining(['*.ts', '*.js', '*.mjs', '*.json']));
    expect(reload.excludes).toEqual(expect.arrayContaining(['.*', 'node_modules', 'dist']));
    const custom = parseCommand(
      ['serve', 'x.js', '--reload-dir', 'spec', '--reload-dir', 'lib', '--reload-include', '*.txt', '--reload-include', 'dist', '--reload-exclude', '*.json', '--reload-delay', '0.1'],
      {},
    ) as ServeCommand & { reload: ReloadSettings };
    expect(custom.reload.dirs).toEqual([join(process.cwd(), 'lib'), join(process.cwd(), 'spec')]);
    expect(custom.reload.includes).toContain('*.txt');
    expect(custom.reload.includes).not.toContain('*.json');
    expect(custom.reload.excludes).not.toContain('dist');
    expect(custom.reload.excludes).toContain('*.json');
    expect(custom.reload.debounceMs).toBe(100);
    expect(() => parseCommand(['serve', 'x.js', '--reload-dir', 'no/such/dir'], {})).toThrow('--reload-dir "no/such/dir" is not a directory');
    expect(() => parseCommand(['serve', 'x.js', '--reload', '--reload-delay', 'soon'], {})).toThrow(/--reload-delay must be a number/);
  });

  it('refuses what it cannot run', () => {
    expect(() => parseCommand([], {})).toThrow(UsageError);
    expect(() => parseCommand(['start', 'x.js'], {})).toThrow(/Unknown command "start"/);
    expect(() => parseCommand(['serve'], {})).toThrow(/needs a module/);
    expect(() => parseCommand(['serve', 'x.js', '--port', '70000'], {})).toThrow(/--port must be an integer from 0 to 65535/);
    expect(() => parseCommand(['serve', 'x.js', '--nope'], {})).toThrow(UsageError);
  });

  it('splits module:export, the export being app unless named', () => {
    expect(parseTarget('src/main.ts', '/srv')).toEqual({ file: '/srv/src/main.ts', exportName: 'app' });
    expect(parseTarget('src/main.ts:api', '/srv')).toEqual({ file: '/srv/src/main.ts', exportName: 'api' });
    expect(parseTarget('/abs/main.js', '/srv')).toEqual({ file: '/abs/main.js', exportName: 'app' });
  });
});
