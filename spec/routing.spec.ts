import request from 'supertest';
import { Application, HTTPException, Mount, PlainTextResponse, Route, Router, compilePath } from 'stackware';
import { recordingLogger } from './helpers';

function appWith(setup: (app: Application) => void): Application {
  const app = new Application();
  setup(app);
  return app;
}

describe('routing', () => {
  it('puts matched parameters in request.pathParams, converted by their convertors', async () => {
    const app = appWith((a) => {
      a.get('/items/{item_id}', (r) => r.pathParams);
      a.get('/int/{n:int}', (r) => r.pathParams);
      a.get('/float/{x:float}', (r) => r.pathParams);
      a.get('/files/{rest:path}', (r) => r.pathParams);
      a.get('/uuid/{u:uuid}', (r) => r.pathParams);
      a.get('/str/{s:str}', (r) => r.pathParams);
    });
    const client = request(app.callback());
    await client.get('/items/foo').expect({ item_id: 'foo' });
    await client.get('/int/42').expect({ n: 42 });
    await client.get('/float/3.25').expect({ x: 3.25 });
    await client.get('/files/a/b/c.txt').expect({ rest: 'a/b/c.txt' });
    await client.get('/uuid/6E8BC430-9C3A-11D9-9669-0800200C9A66').expect({ u: '6e8bc430-9c3a-11d9-9669-0800200c9a66' });
    await client.get('/str/hello').expect({ s: 'hello' });
  });

  it('does not match a parameter against a value its convertor refuses', async () => {
    const app = appWith((a) => {
      a.get('/int/{n:int}', (r) => r.pathParams);
      a.get('/uuid/{u:uuid}', (r) => r.pathParams);
    });
    const client = request(app.callback());
    await client.get('/int/abc').expect(404);
    await client.get('/int/-1').expect(404);
    await client.get('/uuid/not-a-uuid').expect(404);
  });

  it('matches parameters against the percent-decoded path', async () => {
    const app = appWith((a) => a.get('/items/{name}', (r) => r.pathParams));
    await request(app.callback()).get('/items/hello%20world').expect({ name: 'hello world' });
  });

  it('answers a malformed percent-encoding in the path with 400', async () => {
    const app = appWith((a) => a.get('/items/{name}', (r) => r.pathParams));
    await request(app.callback()).get('/items/%E0%A4%A').expect(400);
  });

  it('refuses an unknown convertor and a duplicated parameter when the route is added', () => {
    const app = new Application();
    expect(() => app.get('/x/{a:nope}', () => null)).toThrow("Unknown path convertor 'nope'");
    expect(() => app.get('/x/{a}/{a}', () => null)).toThrow('Duplicated param name a');
    expect(() => app.get('no-slash', () => null)).toThrow("Routed paths must start with '/'");
  });

  it('answers HEAD on a GET route with the headers and no body', async () => {
    const app = appWith((a) => a.get('/', () => ({ message: 'hello' })));
    const res = await request(app.callback()).head('/').expect(200);
    expect(res.headers['content-length']).toBe('19');
    expect(res.text).toBeUndefined();
  });

  it('gives 404 {"detail":"Not Found"} for an unmatched path', async () => {
    const app = appWith((a) => a.get('/', () => 'ok'));
    await request(app.callback()).get('/nowhere').expect(404).expect('content-type', 'application/json').expect({ detail: 'Not Found' });
  });

  it('gives 405 {"detail":"Method Not Allowed"} with an Allow header listing every method of the path', async () => {
    const app = appWith((a) => {
      a.get('/things', () => 'list');
      a.post('/things', () => 'create');
    });
    const res = await request(app.callback()).delete('/things').expect(405).expect({ detail: 'Method Not Allowed' });
    expect(new Set(res.headers.allow.split(', '))).toEqual(new Set(['GET', 'HEAD', 'POST']));
  });

  it('serves each method from its own route', async () => {
    const app = appWith((a) => {
      a.get('/x', () => 'get');
      a.post('/x', () => 'post');
      a.put('/x', () => 'put');
      a.patch('/x', () => 'patch');
      a.delete('/x', () => 'delete');
      a.options('/x', () => 'options');
      a.route('/y', (r) => r.method, { methods: ['get', 'post'] });
    });
    const client = request(app.callback());
    await client.get('/x').expect('"get"');
    await client.post('/x').expect('"post"');
    await client.put('/x').expect('"put"');
    await client.patch('/x').expect('"patch"');
    await client.delete('/x').expect('"delete"');
    await client.options('/x').expect('"options"');
    await client.get('/y').expect('"GET"');
    await client.post('/y').expect('"POST"');
  });

  it('uses the first route that matches, in registration order', async () => {
    const app = appWith((a) => {
      a.get('/users/{name}', (r) => `param ${r.pathParams.name}`);
      a.get('/users/me', () => 'static me');
      a.get('/pages/about', () => 'static about');
      a.get('/pages/{name}', (r) => `param ${r.pathParams.name}`);
    });
    const client = request(app.callback());
    await client.get('/users/me').expect('"param me"');
    await client.get('/pages/about').expect('"static about"');
    await client.get('/pages/other').expect('"param other"');
  });

  it('redirects to the path with or without a trailing slash when only that one has a route', async () => {
    const app = appWith((a) => {
      a.get('/with-slash/', () => 'a');
      a.get('/without', () => 'b');
    });
    const client = request(app.callback());
    const one = await client.get('/with-slash?q=1').expect(307);
    expect(new URL(one.headers.location).pathname + new URL(one.headers.location).search).toBe('/with-slash/?q=1');
    const two = await client.get('/without/').expect(307);
    expect(new URL(two.headers.location).pathname).toBe('/without');
  });

  it('sends an endpoint\'s returned Response as it is and any other value as JSON with 200', async () => {
    const app = appWith((a) => {
      a.get('/response', () => new PlainTextResponse('plain', { statusCode: 201 }));
      a.get('/object', () => ({ a: [1, 2] }));
      a.get('/string', () => 'text');
      a.get('/number', async () => 7);
      a.get('/nothing', () => undefined);
    });
    const client = request(app.callback());
    await client.get('/response').expect(201).expect('content-type', 'text/plain; charset=utf-8').expect('plain');
    await client.get('/object').expect(200).expect('content-type', 'application/json').expect({ a: [1, 2] });
    await client.get('/string').expect('"text"');
    await client.get('/number').expect('7');
    await client.get('/nothing').expect('null');
  });

  it('answers the same whether an endpoint returns, throws, resolves or rejects, synchronously or not', async () => {
    const thenable = (value: unknown) => ({ then: (resolve: (v: unknown) => void) => resolve(value) });
    const logger = recordingLogger();
    const app = new Application({ logger });
    ((a: Application) => {
      a.get('/sync-throw-http', () => {
        throw new HTTPException(418, 'teapot');
      });
      a.get('/async-throw-http', async () => {
        throw new HTTPException(418, 'teapot');
      });
      a.get('/sync-throw', () => {
        throw new Error('boom');
      });
      a.get('/async-throw', async () => {
        throw new Error('boom');
      });
      a.get('/unserializable', () => ({ big: BigInt(1) }));
      a.get('/thenable', () => thenable({ from: 'thenable' }));
      a.get('/response-promise', () => Promise.resolve(new PlainTextResponse('later')));
    })(app);
    const client = request(app.callback());
    for (const path of ['/sync-throw-http', '/async-throw-http']) await client.get(path).expect(418).expect({ detail: 'teapot' });
    for (const path of ['/sync-throw', '/async-throw', '/unserializable']) await client.get(path).expect(500).expect('Internal Server Error');
    await client.get('/thenable').expect(200).expect({ from: 'thenable' });
    await client.get('/response-promise').expect(200).expect('later');
    expect(logger.errors.map((e) => (e.error as Error).name)).toEqual(['Error', 'Error', 'TypeError']);
  });

  it('never takes a Response for a promise: its then slot is always undefined', async () => {
    const response = new PlainTextResponse('x');
    expect(await Promise.resolve(response)).toBe(response);
    expect((response as unknown as { then?: unknown }).then).toBeUndefined();
    // The documented side effect of the slot: an `in` check sees it.
    expect('then' in response).toBe(true);
  });

  it('takes routes from the routes option', async () => {
    const app = new Application({ routes: [new Route('/r', () => 'from option')] });
    await request(app.callback()).get('/r').expect('"from option"');
  });

  it('serves a mounted application under its prefix, with rootPath and outer path parameters', async () => {
    const sub = new Application<Record<string, unknown>, { tenant: string }>();
    sub.get('/items/{id:int}', (r) => ({ id: r.pathParams.id, tenant: r.pathParams.tenant, rootPath: r.rootPath, path: r.path }));
    const app = new Application();
    app.mount('/t/{tenant}', sub);
    await request(app.callback())
      .get('/t/acme/items/3')
      .expect({ id: 3, tenant: 'acme', rootPath: '/t/acme', path: '/t/acme/items/3' });
  });

  it('serves a mounted router and redirects its bare prefix to the prefix with a slash', async () => {
    const router = new Router([new Route('/', () => 'root of mount')]);
    const app = new Application({ routes: [new Mount('/sub', router)] });
    const client = request(app.callback());
    await client.get('/sub/').expect('"root of mount"');
    const res = await client.get('/sub').expect(307);
    expect(new URL(res.headers.location).pathname).toBe('/sub/');
  });

  it('compiles a static template to an exact match and a dynamic one to a regex', () => {
    const params: Record<string, unknown> = {};
    expect(compilePath('/a/b').isStatic).toBe(true);
    expect(compilePath('/a/b').match('/a/b/', params)).toBe(false);
    const dynamic = compilePath('/a/{x:int}.json');
    expect(dynamic.isStatic).toBe(false);
    expect(dynamic.match('/a/12.json', params)).toBe(true);
    expect(params).toEqual({ x: 12 });
    expect(dynamic.match('/a/12xjson', {})).toBe(false);
  });
});
