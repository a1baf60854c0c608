// Compile-time checks of typed request state, run by `tsc --noEmit` in `npm test`: the line after
// each expect-error directive must fail to compile.
import { APIRouter, Application, BaseHTTPMiddleware, CORSMiddleware, JSONResponse, Middleware, type CallNext, type Request, type Response } from 'stackware';

interface User {
  name: string;
}
// An interface (no index signature) works as well as a type alias.
interface AppState {
  user?: User;
  requestId: string;
}

class Authenticate extends BaseHTTPMiddleware<undefined, AppState> {
  async dispatch(request: Request<AppState>, callNext: CallNext<AppState>): Promise<Response> {
    request.state.user = { name: 'alice' };
    request.state.requestId = 'r-1';
    // @ts-expect-error a property the state does not declare
    request.state.usr = { name: 'typo' };
    // @ts-expect-error a value of the wrong type
    request.state.requestId = 1;
    return callNext(request);
  }
}

class NeedsTenant extends BaseHTTPMiddleware<{ header: string }, { tenant: string }> {
  async dispatch(request: Request<{ tenant: string }>, callNext: CallNext<{ tenant: string }>): Promise<Response> {
    request.state.tenant = request.headers.get(this.options.header) ?? 'default';
    return callNext(request);
  }
}

class Untyped extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    request.state.anything = 1;
    return callNext(request);
  }
}

const app = new Application<AppState>();
app.addMiddleware(Authenticate);
app.addMiddleware(Untyped);
app.addMiddleware(CORSMiddleware, { allowOrigins: ['*'] });
// @ts-expect-error the application's state has no `tenant`
app.addMiddleware(NeedsTenant, { header: 'x-tenant' });

app.get('/me', (request) => {
  const name: string | undefined = request.state.user?.name;
  // @ts-expect-error `user` may be undefined
  const sure: string = request.state.user.name;
  // @ts-expect-error a property the state does not declare
  return { name, sure, other: request.state.other };
});

app.middleware('http')(async (request, callNext) => {
  const id: string = request.state.requestId;
  // @ts-expect-error a property the state does not declare
  request.state.nope = id;
  return callNext(request);
});

// A wider application state satisfies a middleware declaring part of it.
const tenants = new Application<{ tenant: string; user?: User }>();
tenants.addMiddleware(NeedsTenant, { header: 'x-tenant' });
// @ts-expect-error the options are still checked
tenants.addMiddleware(NeedsTenant, { header: 1 });
// @ts-expect-error a middleware state that conflicts (`tenant` is a string here)
tenants.addMiddleware(class extends BaseHTTPMiddleware<undefined, { tenant: number }> {
  dispatch(request: Request<{ tenant: number }>, callNext: CallNext<{ tenant: number }>): Promise<Response> {
    return callNext(request);
  }
});

// Without a State, request.state is an open record, as before.
const plain = new Application();
plain.addMiddleware(Untyped);
// @ts-expect-error an open record does not promise `requestId`
plain.addMiddleware(Authenticate);
plain.get('/', (request) => ({ value: request.state.anything }));

// Exception handlers' request carries the application's State.
app.exceptionHandler(404, (request) => {
  const id: string = request.state.requestId;
  // @ts-expect-error a property the state does not declare
  const other: unknown = request.state.other;
  return new JSONResponse({ id, other }, { statusCode: 404 });
});
app.exceptionHandler(TypeError, (request, error) => new JSONResponse({ id: request.state.requestId, message: error.message }, { statusCode: 500 }));

// A middleware declaring a State the application lacks is a compile error wherever it is registered.
const needsTenant = new Middleware(NeedsTenant, { header: 'x-tenant' });
const authenticate = new Middleware(Authenticate);
app.get('/ok', () => null, { middleware: [authenticate, new Middleware(Untyped)] });
// @ts-expect-error on a route
app.get('/r', () => null, { middleware: [needsTenant] });
// @ts-expect-error on a route added with route()
app.route('/r2', () => null, { middleware: [needsTenant] });
// @ts-expect-error on a mount
app.mount('/m', new Application(), { middleware: [needsTenant] });
// @ts-expect-error on a router
new APIRouter<AppState>({ middleware: [needsTenant] });
const appRouter = new APIRouter<AppState>({ middleware: [authenticate] });
// @ts-expect-error on a route of a router
appRouter.get('/x', () => null, { middleware: [needsTenant] });
// @ts-expect-error on an include
app.includeRouter(appRouter, { middleware: [needsTenant] });
app.includeRouter(appRouter, { middleware: [authenticate] });
tenants.get('/t', () => null, { middleware: [needsTenant] });
