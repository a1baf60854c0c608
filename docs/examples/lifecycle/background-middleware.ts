import { Application, BackgroundTasks, BaseHTTPMiddleware, JSONResponse, type CallNext, type Request, type Response } from 'stackware';

export const events: string[] = [];

/** Written as in Starlette: the middleware gives the response a background of its own. */
export class AuditMiddleware extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    response.background = new BackgroundTasks([() => events.push(`audit ${request.method} ${request.url.pathname}`)]);
    return response;
  }
}

export const app = new Application();
app.addMiddleware(AuditMiddleware);

app.post('/orders', () => {
  // The endpoint's task is kept: it runs first, then the middleware's.
  const background = new BackgroundTasks([() => events.push('send the confirmation email')]);
  return new JSONResponse({ created: true }, { background });
});
