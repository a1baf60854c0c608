// The showcase app (every built-in middleware) with two more layers: 10 middleware in all.
// Run by bench/load.ts with `node --import tsx`; prints `listening <port>`, exits on SIGTERM.
import { BaseHTTPMiddleware, type CallNext, type Request, type Response } from 'stackware';
import { app } from '../docs/examples/showcase/app.js';

class Tag extends BaseHTTPMiddleware<{ name: string }> {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    response.headers.set(`x-${this.options.name}`, '1');
    return response;
  }
}

app.addMiddleware(Tag, { name: 'load-9' });
app.middleware('http')(async (request, callNext) => {
  const response = await callNext(request);
  response.headers.set('x-load-10', '1');
  return response;
});

void app.listen(0, '127.0.0.1', { shutdownTimeout: 5 }).then((server) => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
  const stop = (): void => {
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
