import type { IncomingMessage, ServerResponse } from 'node:http';
import { Application, Mount, connectMiddleware, type ConnectNext } from 'stackware';
import { normalizePath, splitBelow } from '../../lib/connect/paths';
import { rawExchange, requestBytes } from '../helpers';
import { servedPerTest } from './helpers';

const start = servedPerTest();

const seen: string[] = [];
function guard(req: IncomingMessage & { baseUrl?: string }, res: ServerResponse, next: ConnectNext): void {
  seen.push(`${req.baseUrl} ${req.url}`);
  if (req.headers.authorization === 'Bearer admin') return next();
  res.statusCode = 403;
  res.end('admins only');
}

function app(): Application {
  const application = new Application();
  application.addMiddleware(connectMiddleware(guard, { path: '/admin' }));
  application.get('/admin', () => 'admin home');
  application.get('/admin/', () => 'admin home/');
  application.get('/admin/users', () => 'users');
  application.get('/administrator', () => 'not an admin page');
  application.get('/ADMIN', () => 'upper');
  application.router.add(new Mount('/other', new Application()));
  return application;
}

describe('a path-scoped Connect middleware', () => {
  beforeEach(() => (seen.length = 0));

  it.each(['/admin', '/admin/', '/admin/users', '/%61dmin', '/%61dmin/users', '/ADMIN', '//admin', '/x/../admin', '/./admin/users', '/admin%2Fusers'])(
    'guards %s',
    async (path) => {
      const server = await start(app());
      const answer = await rawExchange(server.url, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 3000);
      expect(answer).toMatch(/^HTTP\/1\.1 403 /);
      expect(answer.endsWith('admins only')).toBe(true);
    },
  );

  it('leaves /administrator and other paths alone', async () => {
    const server = await start(app());
    expect((await requestBytes(server.url, { path: '/administrator' })).body.toString()).toBe('"not an admin page"');
    expect(seen).toEqual([]);
  });

  it('sees req.url below the prefix, still encoded, and req.baseUrl the prefix; next() restores them', async () => {
    const server = await start(app());
    const response = await requestBytes(server.url, { path: '/admin/users?x=%20', headers: { authorization: 'Bearer admin' } });
    expect(response.body.toString()).toBe('"users"');
    expect(seen).toEqual(['/admin /users?x=%20']);
    seen.length = 0;
    await requestBytes(server.url, { path: '/%61dmin', headers: { authorization: 'Bearer admin' } });
    expect(seen).toEqual(['/%61dmin /']);
  });
});

describe('path helpers', () => {
  it('normalizes a decoded path as a guard must see it', () => {
    expect(normalizePath('/A//b/./c/../d/')).toBe('/a/b/d/');
    expect(normalizePath('/../../etc')).toBe('/etc');
  });

  it('cuts a prefix from the raw path, keeping the encoding of the rest', () => {
    expect(splitBelow('/legacy/a%20b', '/legacy', false)).toEqual({ base: '/legacy', rest: '/a%20b' });
    expect(splitBelow('/%6Cegacy/x', '/legacy', false)).toEqual({ base: '/%6Cegacy', rest: '/x' });
    expect(splitBelow('/legacy', '/legacy', false)).toEqual({ base: '/legacy', rest: '/' });
    expect(splitBelow('/admin.json', '/admin', true)).toEqual({ base: '/admin', rest: '/.json' });
    expect(splitBelow('/x/../admin/y%3F', '/admin', true)).toEqual({ base: '/x/../admin', rest: '/y%3F' });
  });
});
