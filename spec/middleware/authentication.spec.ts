import request from 'supertest';
import { Application } from '../../lib/application';
import { Middleware } from '../../lib/middleware/base';
import {
  AuthCredentials,
  AuthenticationError,
  AuthenticationMiddleware,
  requestAuth,
  requestUser,
  requires,
  SimpleUser,
  type AuthenticationBackend,
} from '../../lib/middleware/authentication';
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
});

describe('requires', () => {
  it('answers 403 without the scope and runs the endpoint with it (starlette: tests/test_authentication.py::test_authentication_required)', async () => {
    const app = new Application({ middleware: [new Middleware(AuthenticationMiddleware, { backend: basicAuth })] });
    app.get('/dashboard', requires('authenticated', (req) => new JSONResponse({ user: requestUser(req).displayName })));
    app.get('/admin', requires(['authenticated', 'admin'], () => new PlainTextResponse('admin'), { statusCode: 404 }));
    const client = request(app.callback());
    expect((await client.get('/dashboard')).status).toBe(403);
    const res = await client.get('/dashboard').auth('tomchristie', 'example');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'tomchristie' });
    expect((await client.get('/admin').auth('tomchristie', 'example')).status).toBe(404);
  });
});
