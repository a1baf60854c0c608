import request from 'supertest';
import { Application } from '../../lib/application';
import { Middleware } from '../../lib/middleware/base';
import {
  AuthCredentials,
  AuthenticationError,
  AuthenticationMiddleware,
  requestAuth,
  requestUser,
  SimpleUser,
  type AuthenticationBackend,
} from '../../lib/middleware/authentication';
import { requires, RequiresMiddleware } from '../../lib/auth/requires';
import type { Request } from '../../lib/requests';
import { JSONResponse, PlainTextResponse } from '../../lib/responses';

/** Starlette's test backend: `Authorization: Basic` with any user and password. */
const basicAuth: AuthenticationBackend = {
  async authenticate(req) {
    const header = req.headers.get('authorization');
    if (header === null || header === undefined) return null;
    const [scheme, encoded] = header.split(' ');
    if (scheme?.toLowerCase() !== 'basic' || encoded === undefined) return null;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new AuthenticationError('Invalid basic auth credentials');
    return [new AuthCredentials(['authenticated']), new SimpleUser(decoded.slice(0, colon))];
  },
};

function homepageApp(): Application {
  const app = new Application({ middleware: [new Middleware(AuthenticationMiddleware, { backend: basicAuth })] });
  app.get('/', (req) => {
    const user = requestUser(req);
    return new JSONResponse({ authenticated: user.isAuthenticated, user: user.displayName, scopes: requestAuth(req).scopes });
  });
  return app;
}

describe('AuthenticationMiddleware — Starlette tests/test_authentication.py', () => {
  it('sets an unauthenticated user without credentials and the backend user with them (starlette: tests/test_authentication.py::test_user_interface)', async () => {
    const client = request(homepageApp().callback());
    let res = await client.get('/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ authenticated: false, user: '', scopes: [] });

    res = await client.get('/').auth('tomchristie', 'example');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ authenticated: true, user: 'tomchristie', scopes: ['authenticated'] });
  });

  it('answers 400 with the message of an AuthenticationError (starlette: AuthenticationMiddleware.default_on_error)', async () => {
    const client = request(homepageApp().callback());
    const res = await client.get('/').set('Authorization', `Basic ${Buffer.from('nocolon').toString('base64')}`);
    expect(res.status).toBe(400);
    expect(res.text).toBe('Invalid basic auth credentials');
  });

  it('answers with onError when given (starlette: tests/test_authentication.py::test_custom_on_error)', async () => {
    const app = new Application({
      middleware: [
        new Middleware(AuthenticationMiddleware, {
          backend: basicAuth,
          onError: (_req, error) => new JSONResponse({ error: error.message }, { statusCode: 401 }),
        }),
      ],
    });
    app.get('/', () => new PlainTextResponse('ok'));
    const res = await request(app.callback()).get('/').set('Authorization', `Basic ${Buffer.from('x').toString('base64')}`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'Invalid basic auth credentials' });
  });

  it('refuses to read the user when the middleware is not installed (starlette: Request.user assertion)', async () => {
    const app = new Application();
    app.get('/', (req) => new PlainTextResponse(requestUser(req).displayName));
    const res = await request(app.callback()).get('/');
    expect(res.status).toBe(500);
  });

  it('request.user and request.auth throw an error naming the middleware when it is not installed (starlette: HTTPConnection.user)', async () => {
    const errors: string[] = [];
    const app = new Application();
    app.get('/user', (req) => {
      for (const read of [() => req.user, () => req.auth]) {
        try {
          read();
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
      return 'ok';
    });
    await request(app.callback()).get('/user').expect(200);
    expect(errors).toEqual([
      'AuthenticationMiddleware must be installed to access request.user',
      'AuthenticationMiddleware must be installed to access request.auth',
    ]);
  });
});

function dashboard(req: Request): JSONResponse {
  return new JSONResponse({ authenticated: req.user.isAuthenticated, user: req.user.displayName });
}

/** Starlette's `async_inject_decorator` / `sync_inject_decorator`: calls the endpoint with one more argument. */
function inject<T>(additional: string, endpoint: (req: Request, additional: string) => T): (req: Request) => T {
  return (req) => endpoint(req, additional);
}

/** Starlette's module-level `app` of tests/test_authentication.py, without its websocket routes. */
function starletteApp(): Application {
  const app = new Application({ middleware: [new Middleware(AuthenticationMiddleware, { backend: basicAuth })] });
  app.get('/', dashboard, { name: 'homepage' });
  app.get('/dashboard', requires('authenticated', async (req) => dashboard(req)));
  app.get('/admin', requires('authenticated', async (req) => dashboard(req), { redirect: 'homepage' }));
  app.get('/dashboard/sync', requires('authenticated', dashboard));
  app.get('/admin/sync', requires('authenticated', dashboard, { redirect: 'homepage' }));
  const decorated = (req: Request, additional: string) => new JSONResponse({ authenticated: req.user.isAuthenticated, user: req.user.displayName, additional });
  app.get('/dashboard/decorated', inject('payload', requires('authenticated', async (req: Request, additional: string) => decorated(req, additional))));
  app.get('/dashboard/decorated/sync', inject('payload', requires('authenticated', decorated)));
  return app;
}

describe('requires — Starlette tests/test_authentication.py', () => {
  it('throws when it is not given an endpoint (starlette: tests/test_authentication.py::test_invalid_decorator_usage)', () => {
    expect(() => requires('authenticated', undefined as unknown as (req: Request) => string)).toThrow(TypeError);
  });

  it('reads request.user through the middleware (starlette: tests/test_authentication.py::test_user_interface, on Request)', async () => {
    const client = request(starletteApp().callback());
    expect((await client.get('/')).body).toEqual({ authenticated: false, user: '' });
    expect((await client.get('/').auth('tomchristie', 'example')).body).toEqual({ authenticated: true, user: 'tomchristie' });
  });

  it('guards async, sync and decorated endpoints (starlette: tests/test_authentication.py::test_authentication_required)', async () => {
    const client = request(starletteApp().callback());
    for (const path of ['/dashboard', '/dashboard/sync']) {
      expect((await client.get(path)).status).toBe(403);
      const res = await client.get(path).auth('tomchristie', 'example');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ authenticated: true, user: 'tomchristie' });
    }
    for (const path of ['/dashboard/decorated', '/dashboard/decorated/sync']) {
      const res = await client.get(path).auth('tomchristie', 'example');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ authenticated: true, user: 'tomchristie', additional: 'payload' });
      expect((await client.get(path)).status).toBe(403);
    }
    const bad = await client.get('/dashboard').set('Authorization', 'basic Zm9vYmFy');
    expect(bad.status).toBe(400);
    expect(bad.text).toBe('Invalid basic auth credentials');
  });

  it('keeps a sync endpoint sync: the wrapper returns its value, not a promise (starlette: dashboard_sync)', () => {
    const wrapped = requires([], () => 'plain');
    const fake = {} as Request;
    Object.defineProperty(fake, 'auth', { value: new AuthCredentials() });
    expect(wrapped(fake)).toBe('plain');
  });

  it('redirects to the named route with next set to the URL asked for (starlette: tests/test_authentication.py::test_authentication_redirect)', async () => {
    const client = request(starletteApp().callback());
    for (const path of ['/admin', '/admin/sync']) {
      const res = await client.get(path).set('Host', 'testserver');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`http://testserver/?${new URLSearchParams({ next: `http://testserver${path}` })}`);
      const followed = await client.get(path).auth('tomchristie', 'example');
      expect(followed.status).toBe(200);
      expect(followed.body).toEqual({ authenticated: true, user: 'tomchristie' });
    }
  });

  it('answers with onError and lets good credentials through (starlette: tests/test_authentication.py::test_custom_on_error)', async () => {
    const app = new Application({
      middleware: [new Middleware(AuthenticationMiddleware, { backend: basicAuth, onError: (_req, error) => new JSONResponse({ error: error.message }, { statusCode: 401 }) })],
    });
    app.get('/control-panel', requires('authenticated', dashboard));
    const client = request(app.callback());
    expect((await client.get('/control-panel').auth('tomchristie', 'example')).body).toEqual({ authenticated: true, user: 'tomchristie' });
    const res = await client.get('/control-panel').set('Authorization', 'basic Zm9vYmFy');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'Invalid basic auth credentials' });
  });
});

describe('RequiresMiddleware', () => {
  it('guards only the route whose middleware list has it', async () => {
    const app = new Application({ middleware: [new Middleware(AuthenticationMiddleware, { backend: basicAuth })] });
    app.get('/guarded', dashboard, { middleware: [new Middleware(RequiresMiddleware, { scopes: 'authenticated' })] });
    app.get('/open', dashboard);
    const client = request(app.callback());
    expect((await client.get('/guarded')).status).toBe(403);
    expect((await client.get('/guarded').auth('u', 'p')).status).toBe(200);
    expect((await client.get('/open')).status).toBe(200);
  });
});

describe('requires', () => {
  it('answers 403 without the scope and runs the endpoint with it (starlette: tests/test_authentication.py::test_authentication_required)', async () => {
    const app = new Application({ middleware: [new Middleware(AuthenticationMiddleware, { backend: basicAuth })] });
    app.get('/dashboard', requires('authenticated', (req: Request) => new JSONResponse({ user: requestUser(req).displayName })));
    app.get('/admin', requires(['authenticated', 'admin'], () => new PlainTextResponse('admin'), { statusCode: 404 }));
    const client = request(app.callback());
    expect((await client.get('/dashboard')).status).toBe(403);
    const res = await client.get('/dashboard').auth('tomchristie', 'example');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'tomchristie' });
    expect((await client.get('/admin').auth('tomchristie', 'example')).status).toBe(404);
  });
});
