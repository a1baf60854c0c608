// Shared by every contestant server: reads the layer count, reports the port, exits cleanly.
// A server prints one line `listening <port>` on stdout once it accepts connections; SIGTERM (or
// SIGINT) closes it and exits with 0, so that `node --cpu-prof` writes its profile.
import { createRequire } from 'node:module';

/** Number of middleware layers, from `--layers=N` (0 by default). */
export function layers() {
  const arg = process.argv.find((a) => a.startsWith('--layers='));
  const n = arg === undefined ? 0 : Number(arg.slice('--layers='.length));
  if (!Number.isInteger(n) || n < 0) throw new Error(`bad --layers: ${arg}`);
  return n;
}

/** The value of `--name=value`, or `fallback`. */
export function option(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

/**
 * stackware, from the compiled `dist/` at the repository root (`npm run build`). STACKWARE_DIST
 * names another build (a directory holding index.js), to compare two builds side by side.
 */
export function stackware() {
  const require = createRequire(import.meta.url);
  return require(process.env.STACKWARE_DIST ? `${process.env.STACKWARE_DIST}/index.js` : '../../dist/index.js');
}

/** Prints the port of a listening node:http server and arranges a clean exit on SIGTERM. */
export function announce(port, close = () => undefined) {
  process.stdout.write(`listening ${port}\n`);
  const stop = () => {
    Promise.resolve()
      .then(close)
      .catch(() => undefined)
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Listens on 127.0.0.1 on a free port and announces it. */
export function serve(server) {
  server.listen(0, '127.0.0.1', () => {
    announce(server.address().port, () => {
      server.closeAllConnections?.();
      server.close();
    });
  });
}

/** The layer every stackware contestant stacks: awaits the rest, then sets `x-mw-<i>` (options `{ i }`). */
export function addHeaderLayer(BaseHTTPMiddleware) {
  return class AddHeader extends BaseHTTPMiddleware {
    async dispatch(request, callNext) {
      const r = await callNext(request);
      r.headers.set('x-mw-' + this.options.i, '1');
      return r;
    }
  };
}
