import request from 'supertest';
import {
  APIRouter,
  Application,
  BaseHTTPMiddleware,
  HTTPException,
  JSONResponse,
  Middleware,
  Route,
  type MiddlewareSpec,
  type CallNext,
  type Request,
  type Response,
} from 'stackware';
import { recordingLogger } from '../helpers';

/** Appends its name to the `x-through` header on the way out. */
class Tag extends BaseHTTPMiddleware<{ name: string }> {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    const before = response.headers.get('x-through');
    response.headers.set('x-through', before === null ? this.options.name : `${before},${this.options.name}`);
    return response;
  }
}
const tag = (name: string): MiddlewareSpec => new Middleware(Tag, { name });

describe('APIRouter and app.includeRouter (fastapi: tests/test_include_router*)', () => {
  it('serves the routes of an included router under both prefixes, with every method helper', async () => {
    const users = new APIRouter({ prefix: '/users' });
    users.get('/', () => 'list');
    users.get('/{userId:int}', (r) => ({ id: r.pathParams.userId }));
    users.post('/', () => 'create', { statusCode: 201 });
    users.put('/{userId:int}', () => 'put');
    users.patch('/{userId:int}', () => 'patch');
    users.delete('/{userId:int}', () => 'delete');
    users.options('/', () => 'options');
    users.route('/any', (r) => r.method, { methods: ['GET', 'POST'] });
    const app = new Application();
    app.includeRouter(users, { prefix: '/v1' });
    const client = request(app.callback());
    await client.get('/v1/users/').expect(200, '"list"');
    await client.get('/v1/users/7').expect(200, { id: 7 });
    await client.post('/v1/users/').expect(201, '"create"');
    await client.put('/v1/users/7').expect('"put"');
    await client.patch('/v1/users/7').expect('"patch"');
    await client.delete('/v1/users/7').expect('"delete"');
    await client.options('/v1/users/').expect('"options"');
    await client.post('/v1/users/any').expect('"POST"');
    await client.get('/users/7').expect(404);
  });

  it('wraps only the router’s routes in its middleware, inside the include’s and the application’s', async () => {
    const users = new APIRouter({ prefix: '/users', middleware: [tag('router')] });
    users.get('/me', () => 'me', { middleware: [tag('route')] });
    const app = new Application();
    app.get('/other', () => 'other');
    app.addMiddleware(Tag, { name: 'app' });
    app.includeRouter(users, { middleware: [tag('include')] });
    const client = request(app.callback());
    // Innermost first on the way out.
    expect((await client.get('/users/me').expect(200)).headers['x-through']).toBe('route,router,include,app');
    expect((await client.get('/other').expect(200)).headers['x-through']).toBe('app');
  });

  it('includes a router into another, prefixes and tags in order', async () => {
    const items = new APIRouter({ prefix: '/items', tags: ['items'], middleware: [tag('items')] });
    items.get('/{itemId}', (r) => r.pathParams, { name: 'item' });
    const shop = new APIRouter({ prefix: '/shop', tags: ['shop'], middleware: [tag('shop')] });
    shop.includeRouter(items, { prefix: '/v2' });
    const app = new Application();
    app.includeRouter(shop, { prefix: '/api' });
    const res = await request(app.callback()).get('/api/shop/v2/items/x').expect(200, { itemId: 'x' });
    expect(res.headers['x-through']).toBe('items,shop');
    const route = app.router.routes[0] as Route;
    expect(route.path).toBe('/api/shop/v2/items/{itemId}');
    expect(route.tags).toEqual(['shop', 'items']);
    expect(app.urlPathFor('item', { itemId: 'y' })).toBe('/api/shop/v2/items/y');
  });

  it('gives included routes the application’s exception handlers, maxBodySize, logger and lifespan state', async () => {
    const logger = recordingLogger();
    const app = new Application({
      maxBodySize: 10,
      logger,
      lifespan: async function* () {
        yield { db: 'the database' };
      },
    });
    app.exceptionHandler(418, () => new JSONResponse({ handled: true }, { statusCode: 418 }));
    const router = new APIRouter();
    router.get('/teapot', () => {
      throw new HTTPException(418);
    });
    router.post('/body', async (r) => (await r.body()).length);
    router.get('/state', (r) => r.state);
    router.get('/boom', () => {
      throw new Error('boom');
    });
    app.includeRouter(router);
    await app.startup();
    const client = request(app.callback());
    await client.get('/teapot').expect(418, { handled: true });
    await client.post('/body').send('x'.repeat(11)).expect(413);
    await client.get('/state').expect(200, { db: 'the database' });
    await client.get('/boom').expect(500);
    expect(logger.errors).toHaveLength(1);
    await app.shutdown();
  });

  it('copies the routes when included, as FastAPI does', async () => {
    const router = new APIRouter();
    router.get('/before', () => 'before');
    const app = new Application();
    app.includeRouter(router);
    router.get('/after', () => 'after');
    const client = request(app.callback());
    await client.get('/before').expect(200);
    await client.get('/after').expect(404);
  });

  it('refuses a prefix that does not start with a slash or ends with one', () => {
    expect(() => new APIRouter({ prefix: 'users' })).toThrow("must start with '/'");
    expect(() => new APIRouter({ prefix: '/users/' })).toThrow("not end with '/'");
    expect(() => new Application().includeRouter(new APIRouter(), { prefix: 'v1' })).toThrow("must start with '/'");
  });
});
