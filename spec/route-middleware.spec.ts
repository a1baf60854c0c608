import request from 'supertest';
import {
  Application,
  BaseHTTPMiddleware,
  HTTPException,
  Middleware,
  Mount,
  Route,
  Router,
  type CallNext,
  type Request,
  type Response,
} from 'stackware';

/** A middleware that records its name on the way in and out, and what the request looked like. */
class Recorder extends BaseHTTPMiddleware<{ name: string; events: string[] }> {
  async dispatch(req: Request, callNext: CallNext): Promise<Response> {
    const { name, events } = this.options;
    events.push(`${name} in ${JSON.stringify(req.pathParams)} root=${req.rootPath}`);
    const response = await callNext(req);
    events.push(`${name} out ${response.statusCode}`);
    response.headers.append('x-through', name);
    return response;
  }
}

const recorder = (name: string, events: string[]) => new Middleware(Recorder, { name, events });

describe('route and mount middleware', () => {
  it('wraps only the route it was given to (starlette: Route(middleware=...))', async () => {
    const events: string[] = [];
    const app = new Application();
    app.route('/with', () => 'with', { methods: ['GET'], middleware: [recorder('route', events)] });
    app.route('/without', () => 'without');
    const client = request(app.callback());
    const res = await client.get('/with').expect(200).expect('"with"');
    expect(res.headers['x-through']).toBe('route');
    const other = await client.get('/without').expect(200);
    expect(other.headers).not.toHaveProperty('x-through');
    expect(events).toEqual(['route in {} root=', 'route out 200']);
  });

  it('runs inside the application middleware, first in the list outermost', async () => {
    const events: string[] = [];
    const app = new Application();
    app.addMiddleware(Recorder, { name: 'app', events });
    app.route(
      '/',
      () => {
        events.push('endpoint');
        return 'ok';
      },
      { middleware: [recorder('first', events), recorder('second', events)] },
    );
    const res = await request(app.callback()).get('/').expect(200);
    expect(events).toEqual([
      'app in {} root=',
      'first in {} root=',
      'second in {} root=',
      'endpoint',
      'second out 200',
      'first out 200',
      'app out 200',
    ]);
    expect(res.headers['x-through']).toBe('second, first, app');
  });

  it('runs only for requests that matched the route: not for a 404, a 405 or a slash redirect', async () => {
    const events: string[] = [];
    const app = new Application();
    app.route('/items/{id:int}', (r) => ({ id: r.pathParams.id }), { methods: ['POST'], middleware: [recorder('route', events)] });
    const client = request(app.callback());
    await client.get('/items/1').expect(405);
    await client.post('/items/x').expect(404);
    await client.post('/items/1/').expect(307);
    await client.get('/elsewhere').expect(404);
    expect(events).toEqual([]);
    await client.post('/items/7').expect(200).expect({ id: 7 });
    expect(events).toEqual(['route in {"id":7} root=', 'route out 200']);
  });

  it('sees the matched path parameters before the endpoint runs', async () => {
    const app = new Application();
    class RequireEven extends BaseHTTPMiddleware {
      async dispatch(req: Request, callNext: CallNext): Promise<Response> {
        if ((req.pathParams.n as number) % 2 !== 0) throw new HTTPException(422, 'n must be even');
        return callNext(req);
      }
    }
    app.get('/n/{n:int}', (r) => ({ n: r.pathParams.n }), { middleware: [new Middleware(RequireEven)] });
    const client = request(app.callback());
    await client.get('/n/4').expect(200).expect({ n: 4 });
    await client.get('/n/3').expect(422).expect({ detail: 'n must be even' });
  });

  it('accepts middleware in app.get/post/put/patch/delete options', async () => {
    const events: string[] = [];
    const app = new Application();
    app.get('/g', () => 'g', { middleware: [recorder('get', events)] });
    app.post('/p', () => 'p', { middleware: [recorder('post', events)] });
    app.delete('/p', () => 'd');
    const client = request(app.callback());
    expect((await client.get('/g').expect(200)).headers['x-through']).toBe('get');
    expect((await client.post('/p').expect(200)).headers['x-through']).toBe('post');
    expect((await client.delete('/p').expect(200)).headers).not.toHaveProperty('x-through');
    expect(events).toEqual(['get in {} root=', 'get out 200', 'post in {} root=', 'post out 200']);
  });

  it('accepts middleware on a Route given to the routes option', async () => {
    const events: string[] = [];
    const app = new Application({ routes: [new Route('/r', () => 'r', { middleware: [recorder('route', events)] })] });
    const res = await request(app.callback()).get('/r').expect(200);
    expect(res.headers['x-through']).toBe('route');
  });

  it('wraps only the mounted app, inside the application middleware (starlette: Mount(middleware=...))', async () => {
    const events: string[] = [];
    const sub = new Application<Record<string, unknown>, { tenant: string }>();
    sub.get('/items/{id:int}', (r) => {
      events.push(`endpoint ${JSON.stringify(r.pathParams)} root=${r.rootPath} app=${r.app === sub}`);
      return { id: r.pathParams.id, tenant: r.pathParams.tenant, rootPath: r.rootPath };
    });
    const app = new Application();
    app.addMiddleware(Recorder, { name: 'app', events });
    app.mount('/t/{tenant}', sub, { middleware: [recorder('mount', events)] });
    app.get('/outside', () => 'outside');
    const client = request(app.callback());

    const res = await client.get('/t/acme/items/3').expect(200).expect({ id: 3, tenant: 'acme', rootPath: '/t/acme' });
    expect(res.headers['x-through']).toBe('mount, app');
    expect(events).toEqual([
      'app in {} root=',
      'mount in {"tenant":"acme"} root=/t/acme',
      'endpoint {"tenant":"acme","id":3} root=/t/acme app=true',
      'mount out 200',
      'app out 200',
    ]);

    events.length = 0;
    const outside = await client.get('/outside').expect(200);
    expect(outside.headers['x-through']).toBe('app');
    expect(events).toEqual(['app in {} root=', 'app out 200']);
  });

  it("runs mount middleware for every request under the prefix, the mounted app's 404s included, and for no other", async () => {
    const events: string[] = [];
    const router = new Router([new Route('/', () => 'root of mount')]);
    const app = new Application();
    app.mount('/sub', router, { middleware: [recorder('mount', events)] });
    const client = request(app.callback());
    await client.get('/other').expect(404);
    await client.get('/subway').expect(404);
    expect(events).toEqual([]);
    // A mounted Router's 404 reaches the mount middleware as a rejected callNext (an HTTPException,
    // which then becomes the middleware's response); a mounted Application would answer it itself.
    await client.get('/sub/missing').expect(404).expect({ detail: 'Not Found' });
    expect(events).toEqual(['mount in {} root=/sub']);
    const res = await client.get('/sub/').expect(200).expect('"root of mount"');
    expect(res.headers['x-through']).toBe('mount');
    expect(events).toEqual(['mount in {} root=/sub', 'mount in {} root=/sub', 'mount out 200']);
  });

  it("runs a mounted application's own middleware inside the mount middleware", async () => {
    const events: string[] = [];
    const sub = new Application();
    sub.addMiddleware(Recorder, { name: 'sub app', events });
    sub.get('/', () => 'ok');
    const app = new Application({ routes: [new Mount('/api', sub, { middleware: [recorder('mount', events)] })] });
    await request(app.callback()).get('/api/').expect(200);
    expect(events).toEqual(['mount in {} root=/api', 'sub app in {} root=/api', 'sub app out 200', 'mount out 200']);
  });
});
