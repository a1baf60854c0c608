import {
  Application,
  BaseHTTPMiddleware,
  GZipMiddleware,
  HTTPException,
  Middleware,
  PlainTextResponse,
  type CallNext,
  type Request,
  type Response,
} from 'stackware';

/** Lets a request in only with the right `Authorization` header. */
export class RequireToken extends BaseHTTPMiddleware<{ token: string }> {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    if (request.headers.get('authorization') !== `Bearer ${this.options.token}`) throw new HTTPException(401, 'Not authenticated', { 'WWW-Authenticate': 'Bearer' });
    return callNext(request);
  }
}

// The admin area is an application of its own, mounted under a path prefix.
const admin = new Application<Record<string, unknown>, { tenant: string }>();
admin.get('/users/{userId:int}', (request) => ({
  userId: request.pathParams.userId,
  tenant: request.pathParams.tenant,
  rootPath: request.rootPath,
}));

export const app = new Application();

app.get('/', () => ({ message: 'Hello World' }));

// Middleware for one route: only /export is compressed.
app.get('/export', () => new PlainTextResponse('id,name\n'.repeat(500)), {
  middleware: [new Middleware(GZipMiddleware)],
});

// Middleware for one mount: everything under /tenants/{tenant}/admin needs the token.
app.mount('/tenants/{tenant}/admin', admin, {
  middleware: [new Middleware(RequireToken, { token: process.env.ADMIN_TOKEN ?? 'secret-token' })],
});
