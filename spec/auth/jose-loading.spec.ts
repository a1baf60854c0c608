import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

// jose 6 is ESM-only; stackware's build is CommonJS. Node's require(esm) loads it where it can, a
// dynamic import where it cannot (Node before 20.19, or with require(esm) turned off).
const script = `
  const { createHmac } = require('node:crypto');
  const s = require('./lib/index.ts');
  const secret = 'x'.repeat(32);
  const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = part({ alg: 'HS256' }) + '.' + part({ sub: 'cjs-user', exp: Math.floor(Date.now() / 1000) + 60 });
  const token = input + '.' + createHmac('sha256', secret).update(input).digest('base64url');
  const app = new s.Application();
  app.addMiddleware(s.AuthenticationMiddleware, { backend: new s.JWTBackend({ secret, algorithms: ['HS256'] }) });
  app.get('/', (r) => r.user.identity);
  void app.fetch(new Request('http://localhost/', { headers: { authorization: 'Bearer ' + token } }))
    .then(async (res) => console.log(res.status, await res.text()));
`;

describe('loading jose from CommonJS', () => {
  it.each([
    ['with require(esm)', []],
    ['without require(esm), through a dynamic import', ['--no-experimental-require-module']],
  ])('verifies a token %s', (_how, flags) => {
    const result = spawnSync(process.execPath, [...flags, '--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('200 "cjs-user"');
  });
});
