import { APIRouter, Application, Route, Router, type HTTPApp, PlainTextResponse } from 'stackware';
import { rawRequest, serve } from '../helpers';

/** An application whose outermost middleware reports, after callNext, the route routing found. */
function labelled(): Application {
  const app = new Application();
  app.middleware('http')(async (request, callNext) => {
    let response;
    try {
      response = await callNext(request);
    } finally {
      seen.push({ template: request.routeTemplate, path: request.route?.path, name: request.route?.name, methods: request.route?.methods && [...request.route.methods] });
    }
    return response;
  });
  app.get('/items/{id:int}', () => 'item', { name: 'item' });
  app.post('/only-post', () => 'posted');
  app.get('/slash/', () => 'slash');
  const users = new APIRouter({ prefix: '/users' });
  users.get('/{userId:int}', () => 'user', { name: 'user' });
  app.includeRouter(users, { prefix: '/v1' });
  const admin = new Application();
  admin.get('/stats/{day}', () => 'stats', { name: 'stats' });
  app.mount('/t/{tenant}/admin', admin, { name: 'admin' });
  app.mount('/r', new Router([new Route('/deep/{x}', () => new PlainTextResponse('deep'))]));
  const files: HTTPApp = { handle: async () => new PlainTextResponse('a file') };
  app.mount('/static', files, { name: 'static' });
  return app;
}

let seen: Array<{ template?: string; path?: string; name?: string; methods?: string[] }> = [];

describe('the route on the request (request.route, request.routeTemplate)', () => {
  it('is the matched route with its full template, every mount and router prefix in front, read after callNext over a socket', async () => {
    const server = await serve(labelled());
    try {
      const cases: Array<[string, string | undefined, string | undefined]> = [
        ['/items/3', '/items/{id:int}', 'item'],
        ['/v1/users/9', '/v1/users/{userId:int}', 'user'],
        ['/t/acme/admin/stats/mon', '/t/{tenant}/admin/stats/{day}', 'stats'],
        ['/r/deep/y', '/r/deep/{x}', undefined],
        ['/static/css/site.css', '/static/{path:path}', 'static'],
      ];
      for (const [path, template, name] of cases) {
        seen = [];
        const response = await rawRequest(server.url, { path });
        response.resume();
        expect(response.statusCode).toBe(200);
        expect(seen).toHaveLength(1);
        expect([path, seen[0].template, seen[0].name]).toEqual([path, template, name]);
      }
      seen = [];
      (await rawRequest(server.url, { path: '/items/3' })).resume();
      expect(seen[0]).toMatchObject({ path: '/items/{id:int}', methods: expect.arrayContaining(['GET', 'HEAD']) });
    } finally {
      await server.close();
    }
  });

  it('is undefined after a 404, a 405 and a trailing-slash redirect, also inside a mount', async () => {
    const server = await serve(labelled());
    try {
      for (const [path, status] of [
        ['/nowhere', 404],
        ['/only-post', 405],
        ['/slash', 307],
        ['/t/acme/admin/nowhere', 404],
        ['/items/not-an-int', 404],
      ] as const) {
        seen = [];
        const response = await rawRequest(server.url, { path });
        response.resume();
        expect([path, response.statusCode]).toEqual([path, status]);
        expect([path, seen[0].template, seen[0].path]).toEqual([path, undefined, undefined]);
      }
    } finally {
      await server.close();
    }
  });
});
