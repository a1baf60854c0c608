import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

describe('optional peer dependencies', () => {
  it("import { Application } from 'stackware' does not load prom-client; constructing PrometheusMiddleware does", () => {
    const script = `
      const stackware = require('./lib/index.ts');
      const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/prom-client/'));
      const before = loaded();
      const app = new stackware.Application();
      app.addMiddleware(stackware.PrometheusMiddleware);
      app.get('/', () => 'ok');
      app.handle;
      void app.fetch(new globalThis.Request('http://localhost/')).then(() => console.log(JSON.stringify({ before, after: loaded() })));
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.trim())).toEqual({ before: false, after: true });
  });
});

describe('the Express/Connect integration', () => {
  it('connectMiddleware and fromNodeHandler load no Connect or Express package of their own', () => {
    const script = `
      const stackware = require('./lib/index.ts');
      const app = new stackware.Application();
      app.addMiddleware(stackware.connectMiddleware((req, res, next) => next()));
      app.mount('/legacy', stackware.fromNodeHandler((req, res) => res.end('legacy')));
      const names = ['express', 'connect', 'body-parser', 'multer', 'express-session', 'passport', 'helmet', 'morgan', 'cors', 'compression'];
      const loaded = names.filter((name) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/')));
      console.log(JSON.stringify(loaded));
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.trim())).toEqual([]);
  });
});
