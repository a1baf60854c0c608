// Compile-time checks, run by `tsc --noEmit` in `npm test`: each @ts-expect-error line must fail to compile.
import {
  Application,
  BaseHTTPMiddleware,
  Middleware,
  RequestIdMiddleware,
  ServerTimingMiddleware,
  TimeoutMiddleware,
  type CallNext,
  type Request,
  type Response,
} from 'stackware';

class NoOptions extends BaseHTTPMiddleware {
  dispatch(request: Request, callNext: CallNext): Promise<Response> {
    return callNext(request);
  }
}

class WithOptions extends BaseHTTPMiddleware<{ header: string; value?: number }> {
  dispatch(request: Request, callNext: CallNext): Promise<Response> {
    return callNext(request);
  }
}

abstract class Abstract extends BaseHTTPMiddleware {}

const app = new Application();
app.addMiddleware(NoOptions);
app.addMiddleware(WithOptions, { header: 'x' });
app.addMiddleware(WithOptions, { header: 'x', value: 1 });
// @ts-expect-error an unknown option
app.addMiddleware(WithOptions, { header: 'x', nope: true });
// @ts-expect-error an option of the wrong type
app.addMiddleware(WithOptions, { header: 1 });
// @ts-expect-error options for a middleware that takes none
app.addMiddleware(NoOptions, { header: 'x' });
// @ts-expect-error an abstract class cannot be constructed
app.addMiddleware(Abstract);
// @ts-expect-error not a middleware class
app.addMiddleware(class {});

new Middleware(WithOptions, { header: 'x' });
// @ts-expect-error the Middleware spec checks options too
new Middleware(WithOptions, { header: false });

// @ts-expect-error dispatch must resolve to a Response
app.middleware('http')(async () => 'not a response');
app.middleware('http')(async (request, callNext) => callNext(request));

// The middleware of docs/advanced/middleware.md.
app.addMiddleware(RequestIdMiddleware);
app.addMiddleware(RequestIdMiddleware, { headerName: 'x-correlation-id', generator: () => 'id' });
// @ts-expect-error the generator returns a string
app.addMiddleware(RequestIdMiddleware, { generator: () => 1 });
app.addMiddleware(ServerTimingMiddleware);
// @ts-expect-error ServerTimingMiddleware takes no options
app.addMiddleware(ServerTimingMiddleware, { total: 'x' });
app.addMiddleware(TimeoutMiddleware, { seconds: 10 });
// @ts-expect-error seconds is required
app.addMiddleware(TimeoutMiddleware);
// @ts-expect-error seconds is a number
app.addMiddleware(TimeoutMiddleware, { seconds: '10' });
