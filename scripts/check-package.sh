#!/usr/bin/env bash
# Packs stackware the way it is published and proves the tarball works in a fresh consumer project
# outside the repo: contents, ESM import, CommonJS require, one copy of the code for both (instanceof
# across them), TypeScript with moduleResolution node16 (ESM and CJS files) and bundler, and the
# `stackware serve` command with two workers (an ESM module, and the TypeScript tutorial app).
#
# stackware comes from the tarball through `npm install` (busboy, its one runtime dependency, from
# the registry); the tools the consumer checks with (typescript, @types/node, and tsx to serve a
# .ts module) are linked from this repo's node_modules, so the check needs no other download. Exits non-zero on the first failure.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/stackware-package.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf 'check-package: %s\n' "$*"; }
fail() { printf 'check-package: FAILED: %s\n' "$*" >&2; exit 1; }

step "build and pack"
(cd "$repo" && npm run --silent build >/dev/null && npm pack --ignore-scripts --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/stackware-*.tgz)"

step "tarball holds dist/, README.md, LICENSE and package.json only"
listing="$(tar -tzf "$tarball")"
unexpected="$(grep -Ev '^package/(dist/.+|README\.md|LICENSE|package\.json)$' <<<"$listing" || true)"
[ -z "$unexpected" ] || fail "unexpected files in the tarball: $unexpected"
for f in dist/index.js dist/index.mjs dist/index.d.ts dist/index.d.mts dist/cli.js; do
  grep -qx "package/$f" <<<"$listing" || fail "missing from the tarball: $f"
done

step "install the tarball into a fresh consumer project"
consumer="$work/consumer"
mkdir -p "$consumer"
cd "$consumer"
cat > package.json <<'JSON'
{ "name": "stackware-consumer", "version": "1.0.0", "private": true }
JSON
npm install --no-audit --no-fund --loglevel=error "$tarball" >/dev/null
mkdir -p node_modules/@types
ln -s "$repo/node_modules/@types/node" node_modules/@types/node
[ -f node_modules/stackware/dist/index.js ] || fail "stackware was not installed"

cat > esm.mjs <<'JS'
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Application, BaseHTTPMiddleware, HTTPException } from 'stackware';

const cjs = createRequire(import.meta.url)('stackware');
assert.equal(Application, cjs.Application, 'ESM and CJS share one Application class');

class Tag extends BaseHTTPMiddleware {
  async dispatch(request, callNext) {
    const response = await callNext(request);
    response.headers.set('x-tag', 'esm');
    return response;
  }
}
assert.ok(new Tag({ handle: async () => undefined }) instanceof cjs.BaseHTTPMiddleware, 'an ESM subclass is a CJS BaseHTTPMiddleware');
assert.ok(new HTTPException(404) instanceof cjs.HTTPException, 'an ESM HTTPException is a CJS HTTPException');
assert.ok(new cjs.HTTPException(404) instanceof HTTPException, 'a CJS HTTPException is an ESM HTTPException');

const app = new Application();
app.addMiddleware(Tag);
app.get('/items/{id:int}', (request) => ({ id: request.pathParams.id }));
const server = await app.listen(0, '127.0.0.1');
try {
  const res = await fetch(`http://127.0.0.1:${server.address().port}/items/7`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tag'), 'esm');
  assert.deepEqual(await res.json(), { id: 7 });
} finally {
  server.close();
}
if (typeof app.fetch === 'function') {
  const res = await app.fetch(new Request('http://localhost/items/8'));
  assert.deepEqual(await res.json(), { id: 8 });
}
console.log('esm ok');
JS

cat > cjs.cjs <<'JS'
const assert = require('node:assert/strict');
const { Application, BaseHTTPMiddleware, HTTPException } = require('stackware');

class Deny extends BaseHTTPMiddleware {
  async dispatch() {
    throw new HTTPException(403, 'no');
  }
}

(async () => {
  const esm = await import('stackware');
  assert.equal(esm.BaseHTTPMiddleware, BaseHTTPMiddleware, 'CJS and ESM share one BaseHTTPMiddleware class');
  assert.ok(new Deny({ handle: async () => undefined }) instanceof esm.BaseHTTPMiddleware);
  const app = new Application();
  app.addMiddleware(Deny);
  const server = await app.listen(0, '127.0.0.1');
  try {
    const res = await fetch(`http://127.0.0.1:${server.address().port}/`);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { detail: 'no' });
  } finally {
    server.close();
  }
  console.log('cjs ok');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
JS

step "ESM: import { Application } from 'stackware'"
node esm.mjs || fail "ESM import"
step "CommonJS: require('stackware')"
node cjs.cjs || fail "CommonJS require"

# One TypeScript source, compiled as an ESM file (.mts) and a CJS file (.cts) under node16, and as a
# plain .ts under bundler. skipLibCheck is off, so the shipped declarations are checked too.
cat > app.ts <<'TS'
import { Application, BaseHTTPMiddleware, HTTPException, type CallNext, type Request, type Response } from 'stackware';

class HeaderMiddleware extends BaseHTTPMiddleware<{ name: string; value: string }> {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    response.headers.set(this.options.name, this.options.value);
    return response;
  }
}

export const app = new Application();
app.addMiddleware(HeaderMiddleware, { name: 'x-app', value: 'typed' });
// @ts-expect-error the options must fit the middleware's constructor
app.addMiddleware(HeaderMiddleware, { name: 'x-app' });
app.get('/', () => {
  throw new HTTPException(418);
});
const handler: (request: globalThis.Request) => Promise<globalThis.Response> = app.fetch;
export { handler };
TS
cp app.ts esm.mts
cp app.ts cjs.cts
cat > tsconfig.node16.json <<'JSON'
{
  "compilerOptions": {
    "module": "node16", "moduleResolution": "node16", "target": "es2022", "strict": true,
    "noEmit": true, "skipLibCheck": false, "types": ["node"]
  },
  "files": ["esm.mts", "cjs.cts"]
}
JSON
cat > tsconfig.bundler.json <<'JSON'
{
  "compilerOptions": {
    "module": "esnext", "moduleResolution": "bundler", "target": "es2022", "strict": true,
    "noEmit": true, "skipLibCheck": false, "types": ["node"]
  },
  "files": ["app.ts"]
}
JSON
tsc="$repo/node_modules/typescript/bin/tsc"
step "TypeScript, moduleResolution node16 (ESM .mts and CommonJS .cts)"
node "$tsc" -p tsconfig.node16.json || fail "tsc --noEmit with node16"
step "TypeScript, moduleResolution bundler"
node "$tsc" -p tsconfig.bundler.json || fail "tsc --noEmit with bundler"

# Serves a module with two workers through the installed bin, checks that both processes answer
# (each response names its pid) and that SIGTERM stops everything.
serve_check() {
  local module="$1" log="$work/serve.log" url=""
  ./node_modules/.bin/stackware serve "$module" --port 0 --workers 2 >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    url="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$log" | head -n1 || true)"
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$log" >&2; fail "stackware serve $module printed no URL"; }
  URL="$url" node --input-type=module -e '
    import assert from "node:assert/strict";
    import { request } from "node:http";
    const get = () => new Promise((resolve, reject) => {
      request(process.env.URL, { agent: false }, (res) => {
        assert.equal(res.statusCode, 200);
        res.resume();
        res.on("end", () => resolve(res.headers["x-pid"]));
      }).on("error", reject).end();
    });
    const pids = new Set();
    for (let i = 0; i < 40 && pids.size < 2; i++) pids.add(await get());
    assert.equal(pids.size, 2, `requests reached ${pids.size} worker(s)`);
  ' || { cat "$log" >&2; fail "the two workers serving $module did not both answer"; }
  kill -TERM "$server_pid"
  for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server_pid" 2>/dev/null; then cat "$log" >&2; fail "stackware serve $module did not stop on SIGTERM"; fi
  wait "$server_pid" || { cat "$log" >&2; fail "stackware serve $module exited with an error after SIGTERM"; }
  server_pid=""
  head -n1 "$log"
}

step "stackware serve --workers 2 from the installed package: an ESM module"
cat > server.mjs <<'JS'
import { Application } from 'stackware';
export const app = new Application();
app.middleware('http')(async (request, callNext) => {
  const response = await callNext(request);
  response.headers.set('x-pid', String(process.pid));
  return response;
});
app.get('/', () => ({ message: 'Hello World' }));
JS
serve_check server.mjs

step "stackware serve --workers 2 from the installed package: the TypeScript tutorial, through tsx"
ln -s "$repo/node_modules/tsx" node_modules/tsx
mkdir -p tutorial
cp "$repo"/docs/examples/middleware/tutorial002/*.ts tutorial/
cat > tutorial/pid.ts <<'TS'
import { app } from './main';
app.middleware('http')(async (request, callNext) => {
  const response = await callNext(request);
  response.headers.set('x-pid', String(process.pid));
  return response;
});
export { app };
TS
serve_check tutorial/pid.ts

step "all checks passed"
