import { Application, BaseHTTPMiddleware, type CallNext, type Request, type Response } from 'stackware';

/** Each middleware writes its name on the way in and on the way out. */
export const events: string[] = [];

export class MiddlewareA extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    events.push('A: request');
    const response = await callNext(request);
    events.push('A: response');
    return response;
  }
}

export class MiddlewareB extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    events.push('B: request');
    const response = await callNext(request);
    events.push('B: response');
    return response;
  }
}

export const app = new Application();

app.addMiddleware(MiddlewareA);
app.addMiddleware(MiddlewareB);

app.get('/', () => {
  events.push('route');
  return { message: 'Hello World' };
});
