// The in-process cases of `AB_SUITE=middleware node bench/ab-dispatch.mjs`: the requests of the
// stack benchmark (bench/stack-bench.ts) through app.handle, no socket, so that two builds can be
// told apart by a few per cent on a loaded machine. Each case checks its answer.
import { ORIGIN } from './servers/stack-common.mjs';
import { stackwareApp } from './servers/stack-stackware-app.mjs';

export function middlewareCases(sw) {
  const { Headers, Request } = sw;
  const source = (method, target, raw) => ({
    method,
    target,
    scheme: 'http',
    headers: () => Headers.fromRaw(['Host', '127.0.0.1:8000', 'Origin', ORIGIN, 'Accept-Encoding', 'gzip', 'User-Agent', 'wrk', ...raw]),
    client: () => ({ host: '127.0.0.1', port: 50000 }),
    async *body() {},
    onDisconnect() {},
  });
  let cookie = null;
  const make = (uses, method, target, status, check = () => true, extra = []) => {
    const app = stackwareApp(sw, uses);
    return async () => {
      if (uses.includes('session') && cookie === null) {
        const login = await app.handle(new Request(source('GET', '/login', [])));
        cookie = login.headers.getSetCookie()[0].split(';')[0];
      }
      const raw = uses.includes('session') ? ['Cookie', cookie, ...extra] : extra;
      const response = await app.handle(new Request(source(method, target, raw)));
      if (response.statusCode !== status || !check(response)) throw new Error(`${uses} ${method} ${target}: status ${response.statusCode}`);
    };
  };
  const gzipped = (r) => r.headers.get('content-encoding') === 'gzip';
  return {
    'bare: GET /items/42': make([], 'GET', '/items/42', 200),
    'stack: CORS + request id + session read + gzip': make(['cors', 'requestid', 'session', 'gzip'], 'GET', '/items/42', 200, gzipped),
    'no route: 404': make([], 'GET', '/nope', 404),
    'wrong method: 405': make([], 'DELETE', '/items/42', 405),
    'CORS simple': make(['cors'], 'GET', '/items/42', 200, (r) => r.headers.get('access-control-allow-origin') === ORIGIN),
    'CORS preflight': make(['cors'], 'OPTIONS', '/items/42', 200, () => true, ['Access-Control-Request-Method', 'GET']),
    'GZip': make(['gzip'], 'GET', '/items/42', 200, gzipped),
    'Session read': make(['session'], 'GET', '/items/42', 200),
    'Session write': make(['session'], 'GET', '/login', 200),
    'RequestId': make(['requestid'], 'GET', '/items/42', 200),
    'ServerTiming': make(['servertiming'], 'GET', '/items/42', 200),
    'Timeout': make(['timeout'], 'GET', '/items/42', 200),
    'TrustedHost': make(['trustedhost'], 'GET', '/items/42', 200),
    'HTTPSRedirect': make(['httpsredirect'], 'GET', '/items/42', 307),
  };
}
