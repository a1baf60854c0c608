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

  it("import { Application } from 'stackware' does not load @opentelemetry/api; constructing OpenTelemetryMiddleware does", () => {
    const script = `
      const stackware = require('./lib/index.ts');
      const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/@opentelemetry/'));
      const before = loaded();
      const app = new stackware.Application();
      app.addMiddleware(stackware.OpenTelemetryMiddleware);
      app.get('/', () => 'ok');
      void app.fetch(new globalThis.Request('http://localhost/')).then(() => console.log(JSON.stringify({ before, after: loaded() })));
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.trim())).toEqual({ before: false, after: true });
  });

  it("import { Application } from 'stackware' and constructing a JWTBackend do not load jose; the first token does", () => {
    const script = `
      const stackware = require('./lib/index.ts');
      const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/jose/'));
      const before = loaded();
      const app = new stackware.Application();
      app.addMiddleware(stackware.AuthenticationMiddleware, { backend: new stackware.JWTBackend({ secret: 'x'.repeat(32), algorithms: ['HS256'] }) });
      app.get('/', (request) => request.user.displayName);
      const constructed = loaded();
      void app.fetch(new globalThis.Request('http://localhost/', { headers: { authorization: 'Bearer a.b.c' } }))
        .then((res) => console.log(JSON.stringify({ before, constructed, after: loaded(), status: res.status })));
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.trim())).toEqual({ before: false, constructed: false, after: true, status: 200 });
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

describe('ws, the websocket peer', () => {
  it("import { Application } from 'stackware' and declaring a websocket route do not load ws; serving a websocket does", () => {
    const script = `
      const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/ws/'));
      const stackware = require('./lib/index.ts');
      const app = new stackware.Application();
      app.websocket('/ws', async (ws) => { await ws.accept(); await ws.close(); });
      app.get('/', () => 'ok');
      const atImport = loaded();
      // The test's own client: loaded, then forgotten, so that the server's load shows.
      const { WebSocket } = require('ws');
      for (const file of Object.keys(require.cache)) if (file.includes('/node_modules/ws/')) delete require.cache[file];
      app.listen(0, '127.0.0.1').then(async (server) => {
        const port = server.address().port;
        await fetch('http://127.0.0.1:' + port + '/');
        const before = loaded();
        const client = new WebSocket('ws://127.0.0.1:' + port + '/ws');
        client.on('close', () => {
          console.log(JSON.stringify({ atImport, before, after: loaded() }));
          server.close();
        });
      });
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.trim())).toEqual({ atImport: false, before: false, after: true });
  });
});

