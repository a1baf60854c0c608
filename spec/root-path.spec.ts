import request from 'supertest';
import { Application, JSONResponse, Mount, Route, Router, type HTTPApp } from 'stackware';
import { normalizeRootPath } from '../lib/root-path';
import { stackware } from './cli/run';

const HOST = 'www.example.org';

/** Routes that answer their name with the path, root path and URL the request saw. */
function echoPaths(name: string) {
  return (r: { path: string; rootPath: string; url: URL }) => ({ name, path: r.path, root_path: r.rootPath, url: r.url.href });
}

describe('root path (uvicorn --root-path, Starlette root_path): the app behind a proxy that strips a prefix', () => {
  it.each([
    ['/foo-123/bar', '/foo', 'foo-123/bar'],
    ['/foo/bar', '/foo', 'bar'],
    ['/foo/bar', '/bar', 'foo/bar'],
  ])('routes %s under rootPath %s on the path below it only when it starts with it (starlette: test_get_route_path)', async (path, root, expected) => {
    const router = new Router([
      new Route('/bar', () => 'bar'),
      new Route('/foo-123/bar', () => 'foo-123/bar'),
      new Route('/foo/bar', () => 'foo/bar'),
    ]);
    const app = new Application({ routes: [new Mount('', { handle: (r) => ((r.rootPath = root), router.handle(r)) } satisfies HTTPApp)] });
    await request(app.callback()).get(path).expect(200, JSON.stringify(expected));
  });

  it('routes the path equal to the root path as "" (a trailing-slash redirect to /foo/) (starlette: test_get_route_path, "/foo" under "/foo")', async () => {
    const router = new Router([new Route('/', () => 'index')]);
    const app = new Application({ routes: [new Mount('', { handle: (r) => ((r.rootPath = '/foo'), router.handle(r)) } satisfies HTTPApp)] });
    const res = await request(app.callback()).get('/foo').set('host', HOST).expect(307);
    expect(res.headers.location).toBe(`http://${HOST}/foo/`);
  });

  // Starlette's test client sends the path with the root path in front; here the request arrives as
  // the proxy forwards it, stripped, and the application puts the root path back (uvicorn's way).
  const echoUrls = (r: { urlFor(name: string): URL }) => ({ index: r.urlFor('index').href, submount: r.urlFor('mount:submount').href });
  const echoUrlRoutes = () => [new Route('/', echoUrls, { name: 'index' }), new Mount('/submount', new Router([new Route('/', echoUrls, { name: 'submount' })]), { name: 'mount' })];

  it('builds url_for with the root path, also inside a mount (starlette: test_url_for_with_root_path)', async () => {
    const app = new Application({ routes: echoUrlRoutes(), rootPath: '/sub_path' });
    const expected = { index: `http://${HOST}/sub_path/`, submount: `http://${HOST}/sub_path/submount/` };
    await request(app.callback()).get('/').set('host', HOST).expect(200, expected);
    await request(app.callback()).get('/submount/').set('host', HOST).expect(200, expected);
  });

  it('drops the trailing slash of the root path (starlette: test_url_for_with_root_path_ending_with_slash)', async () => {
    const app = new Application({ routes: [new Route('/', (r) => ({ index: r.urlFor('homepage').href }), { name: 'homepage' })], rootPath: '/sub_path/' });
    expect(app.rootPath).toBe('/sub_path');
    await request(app.callback()).get('/').set('host', HOST).expect(200, { index: `http://${HOST}/sub_path/` });
  });

  it('gives path and root_path of routes, mounted apps and mounted routers (starlette: test_paths_with_root_path)', async () => {
    const asgiPath: HTTPApp = { handle: async (r) => new JSONResponse(echoPaths('asgipath')(r)) };
    const app = new Application({
      rootPath: '/root',
      routes: [
        new Route('/path', echoPaths('path'), { name: 'path', methods: ['GET'] }),
        new Route('/root-queue/path', echoPaths('queue_path'), { name: 'queue_path', methods: ['POST'] }),
        new Mount('/asgipath', asgiPath),
        new Mount('/sub', new Router([new Route('/path', echoPaths('subpath'), { name: 'subpath', methods: ['GET'] })]), { name: 'mount' }),
      ],
    });
    const client = request(app.callback());
    await client.get('/path').set('host', HOST).expect(200, { name: 'path', path: '/root/path', root_path: '/root', url: `http://${HOST}/root/path` });
    await client.get('/asgipath/').set('host', HOST).expect(200, { name: 'asgipath', path: '/root/asgipath/', root_path: '/root/asgipath', url: `http://${HOST}/root/asgipath/` });
    await client.get('/sub/path').set('host', HOST).expect(200, { name: 'subpath', path: '/root/sub/path', root_path: '/root/sub', url: `http://${HOST}/root/sub/path` });
    await client.post('/root-queue/path').set('host', HOST).expect(200, { name: 'queue_path', path: '/root/root-queue/path', root_path: '/root', url: `http://${HOST}/root/root-queue/path` });
  });

  it('sends trailing-slash redirects under the root path', async () => {
    const app = new Application({ rootPath: '/api' });
    app.get('/items/', () => 'items');
    const res = await request(app.callback()).get('/items?page=2').set('host', HOST).expect(307);
    expect(res.headers.location).toBe(`http://${HOST}/api/items/?page=2`);
  });

  it('keeps the query and the percent-encoding in request.url; the root path is decoded in request.path (uvicorn: test_raw_path)', async () => {
    const app = new Application({ rootPath: '/app' });
    app.get('/{rest:path}', (r) => ({ path: r.path, url: r.url.href, query: r.queryParams.get('q') }));
    await request(app.callback())
      .get('/one%2Ftwo?q=1')
      .set('host', HOST)
      .expect(200, { path: '/app/one/two', url: `http://${HOST}/app/one%2Ftwo?q=1`, query: '1' });
  });

  it('works through app.fetch as through the node adapter', async () => {
    const app = new Application({ rootPath: '/api' });
    app.get('/items/{id:int}', (r) => ({ path: r.path, rootPath: r.rootPath, self: r.urlFor('item', { id: 3 }).href }), { name: 'item' });
    const res = await app.fetch(new globalThis.Request(`http://${HOST}/items/3`));
    expect(await res.json()).toEqual({ path: '/api/items/3', rootPath: '/api', self: `http://${HOST}/api/items/3` });
  });

  it('refuses what cannot be a root path, naming it; "" and "/" are none', () => {
    expect(normalizeRootPath('/')).toBe('');
    expect(normalizeRootPath('')).toBe('');
    expect(normalizeRootPath('/a/b//')).toBe('/a/b');
    expect(normalizeRootPath('/中国')).toBe('/中国');
    for (const bad of ['api', '/a?b', '/a#b', '/a%20b', '/a b', '//a', '/a\nb']) {
      expect(() => new Application({ rootPath: bad })).toThrow(new TypeError(`rootPath must be a path such as "/api" (no %, ?, #, spaces or //), got ${JSON.stringify(bad)}`));
    }
  });

  it('stackware serve --root-path /app: the path and root_path the app sees (uvicorn: test_root_path)', async () => {
    const running = stackware(['serve', 'spec/fixtures/root-path-app.ts', '--port', '0', '--root-path', '/app', '--no-access-log']);
    try {
      const [, url] = await running.waitFor(/serving \S+ on (http:\/\/127\.0\.0\.1:\d+) \(pid \d+\)/);
      const res = await fetch(`${url!}/`);
      expect(await res.text()).toBe('root_path=/app path=/app/');
    } finally {
      running.kill();
    }
  }, 30_000);

  it('stackware serve refuses a --root-path that cannot be one, in one line', async () => {
    const running = stackware(['serve', 'spec/fixtures/root-path-app.ts', '--root-path', 'app']);
    expect(await running.exited()).toBe(2);
    expect(running.output()).toContain('stackware: --root-path must be a path such as "/api"');
  }, 30_000);
});
