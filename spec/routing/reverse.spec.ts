import request from 'supertest';
import { APIRouter, Application, Mount, NoMatchFound, Route, Router } from 'stackware';

function app(): Application {
  const a = new Application();
  a.get('/items/{id:int}', () => null, { name: 'item' });
  a.get('/files/{rest:path}', () => null, { name: 'file' });
  a.get('/price/{value:float}', () => null, { name: 'price' });
  a.get('/u/{u:uuid}', () => null, { name: 'uuid' });
  a.get('/', function home() {
    return null;
  });
  const admin = new Application();
  admin.get('/users/{name}', () => null, { name: 'user' });
  a.mount('/t/{tenant}/admin', admin, { name: 'admin' });
  a.mount('/plain', new Router([new Route('/inner', () => null, { name: 'inner' })]));
  return a;
}

describe('reverse routing (starlette: tests/test_routing.py::test_url_path_for, test_url_for)', () => {
  it('builds the path of a named route, each value written by its convertor', () => {
    const a = app();
    expect(a.urlPathFor('item', { id: 42 })).toBe('/items/42');
    expect(a.urlPathFor('file', { rest: 'a/b.txt' })).toBe('/files/a/b.txt');
    expect(a.urlPathFor('price', { value: 2.5 })).toBe('/price/2.5');
    expect(a.urlPathFor('uuid', { u: '6e8bc430-9c3a-11d9-9669-0800200c9a66' })).toBe('/u/6e8bc430-9c3a-11d9-9669-0800200c9a66');
    expect(a.urlPathFor('home')).toBe('/');
  });

  it('names routes inside a named mount mount:route, and finds them through an unnamed one', () => {
    const a = app();
    expect(a.urlPathFor('admin:user', { tenant: 'acme', name: 'bob' })).toBe('/t/acme/admin/users/bob');
    expect(a.urlPathFor('inner')).toBe('/plain/inner');
    expect(() => a.urlPathFor('user', { name: 'bob' })).toThrow(NoMatchFound);
  });

  it('throws an error naming an unknown route, a missing parameter or an extra one', () => {
    const a = app();
    expect(() => a.urlPathFor('nope')).toThrow("No route named 'nope'");
    expect(() => a.urlPathFor('item')).toThrow("Missing path parameter 'id'");
    expect(() => a.urlPathFor('item', { id: 1, other: 2 })).toThrow("Unexpected path parameter 'other'");
    expect(() => a.urlPathFor('admin:user', { name: 'bob' })).toThrow("Missing path parameter 'tenant'");
    expect(() => a.urlPathFor('item', { id: -1 })).toThrow('non-negative safe integer');
    expect(() => a.urlPathFor('item', { id: 1.5 })).toThrow(NoMatchFound);
  });

  it('gives request.urlFor the absolute URL on the request’s scheme and host, also inside a mount', async () => {
    const a = new Application();
    a.get('/items/{id:int}', () => null, { name: 'item' });
    const admin = new Application();
    admin.get('/here', (r) => ({ item: r.urlFor('item', { id: 5 }).href, self: r.urlFor('admin:here').href }), { name: 'here' });
    a.mount('/admin', admin, { name: 'admin' });
    await request(a.callback())
      .get('/admin/here')
      .set('host', 'example.com:8080')
      .expect(200, { item: 'http://example.com:8080/items/5', self: 'http://example.com:8080/admin/here' });
  });

  it('works on a Router and on the routes of an included APIRouter', () => {
    const router = new Router([new Mount('/m', new Router([new Route('/x/{n:int}', () => null, { name: 'x' })]), { name: 'm' })]);
    expect(router.urlPathFor('m:x', { n: 3 })).toBe('/m/x/3');
    const users = new APIRouter({ prefix: '/users' });
    users.get('/{id:int}', () => null, { name: 'user' });
    const a = new Application();
    a.includeRouter(users, { prefix: '/v1' });
    expect(a.urlPathFor('user', { id: 1 })).toBe('/v1/users/1');
  });
});
