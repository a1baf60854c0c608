import { BaseHTTPMiddleware, type CallNext, type Request, type Response } from 'stackware';

export class ProcessTimeHeaderMiddleware extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const startTime = performance.now();
    const response = await callNext(request);
    const processTime = (performance.now() - startTime) / 1000;
    response.headers.set('X-Process-Time', String(processTime));
    return response;
  }
}
