import { Application, BaseHTTPMiddleware, CORSMiddleware, type CallNext, type Request, type Response } from 'stackware';

class ProcessTimeHeaderMiddleware extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const start = performance.now();
    const response = await callNext(request);
    response.headers.set('X-Process-Time', String((performance.now() - start) / 1000));
    return response;
  }
}

export const app = new Application();
app.addMiddleware(ProcessTimeHeaderMiddleware);
app.addMiddleware(CORSMiddleware, { allowOrigins: ['https://example.org'] });

app.get('/', () => ({ message: 'Hello World' }));
app.get('/items/{itemId:int}', (request) => ({ itemId: request.pathParams.itemId, q: request.queryParams.get('q') }));
