import { Application, RequestIdMiddleware, type LogBackend } from 'stackware';

/** One JSON line per call; with pino, `pinoBackend(pino())` does the same. */
export const lines: string[] = [];
const jsonLines: LogBackend = {
  debug: (message, fields) => lines.push(JSON.stringify({ level: 'debug', message, ...fields })),
  info: (message, fields) => lines.push(JSON.stringify({ level: 'info', message, ...fields })),
  warn: (message, fields) => lines.push(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (message, fields) => lines.push(JSON.stringify({ level: 'error', message, ...fields })),
};

export const app = new Application();
app.middleware('http')((request, callNext) => {
  request.setLogBackend(jsonLines);
  return callNext(request);
});
app.addMiddleware(RequestIdMiddleware);

app.post('/orders/{id:int}', (request) => {
  request.log.info('order received', { orderId: request.pathParams.id });
  request.backgroundTasks.addTask(() => request.log.info('confirmation sent'));
  return { accepted: true };
});
