import { AsyncLocalStorage } from 'node:async_hooks';
import { Application, StreamingResponse } from 'stackware';

/** The current request's id, for log lines anywhere below the middleware. */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

export const lines: string[] = [];
const log = (message: string): void => {
  lines.push(`[${requestContext.getStore()?.requestId ?? '-'}] ${message}`);
};

export const app = new Application();

app.middleware('http')(async (request, callNext) => {
  const requestId = request.headers.get('x-request-id') ?? 'none';
  return requestContext.run({ requestId }, () => callNext(request));
});

app.get('/report', (request) => {
  log('endpoint');
  request.backgroundTasks.addTask(() => log('background task'));
  return new StreamingResponse(
    (async function* () {
      log('streaming body');
      yield 'report\n';
    })(),
  );
});
