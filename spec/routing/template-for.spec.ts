import { APIRouter, Application, Headers, Request, Router, Route, StaticFiles, type RequestSource } from 'stackware';
import { join } from 'node:path';

function requestFor(method: string, target: string, app: Application): Request {
  const source: RequestSource = {
    method,
    target,
    scheme: 'http',
    headers: () => new Headers({ host: 'test' }),
    client: () => null,
    body: async function* () {},
    onDisconnect: () => undefined,
  };
  return new Request(source, app);
}

describe('Router.templateFor: the route template before routing runs', () => {
  const inner = new Application();
  inner.get('/reports/{year:int}', () => 'report');
  const router = new APIRouter();
  router.post('/orders', () => 'created');
  const app = new Application();
  app.get('/users/{id:int}', () => 'user');
  app.includeRouter(router, { prefix: '/v1' });
  app.mount('/api/{version}', inner);
  app.mount('/static', new StaticFiles({ directory: join(__dirname, '..', 'fixtures') }));
  app.mount('/plain', new Router([new Route('/ping', () => 'pong')]));

  it.each([
    ['GET', '/users/3', '/users/{id:int}'],
    ['POST', '/v1/orders', '/v1/orders'],
    ['GET', '/api/v2/reports/2025?x=1', '/api/{version}/reports/{year:int}'],
    ['GET', '/static/anything.css', '/static/{path:path}'],
    ['GET', '/plain/ping', '/plain/ping'],
  ])('%s %s → %s, the template routing then gives', async (method, target, template) => {
    const request = requestFor(method, target, app);
    expect(app.routeTemplateFor(request)).toBe(template);
    await app.handle(request).catch(() => undefined);
    expect(request.routeTemplate).toBe(template);
  });

  it.each([
    ['GET', '/users/abc'], // no convertor match: 404
    ['DELETE', '/users/3'], // 405
    ['GET', '/api/v2/nothing'], // the mounted app has no such route
    ['GET', '/users/3/'], // a trailing-slash redirect
  ])('%s %s → undefined, as routing leaves it', async (method, target) => {
    const request = requestFor(method, target, app);
    expect(app.routeTemplateFor(request)).toBeUndefined();
    await app.handle(request).catch(() => undefined);
    expect(request.routeTemplate).toBeUndefined();
  });
});
