import { Application, type CallNext, type Request } from 'stackware';

export const app = new Application();

app.middleware('http')(async function addProcessTimeHeader(request: Request, callNext: CallNext) {
  const startTime = performance.now();
  const response = await callNext(request);
  const processTime = (performance.now() - startTime) / 1000;
  response.headers.set('X-Process-Time', String(processTime));
  return response;
});

app.get('/', () => ({ message: 'Hello World' }));
