import { Application, RequestIdMiddleware, requestId } from 'stackware';

/** Where log lines go; tests swap `write` to capture them. */
export const logger = { write: (line: string): void => console.log(line) };

/** Every line carries the id of the request it was written for, wherever it is called from. */
export function log(message: string): void {
  logger.write(`[${requestId() ?? '-'}] ${message}`);
}

export const app = new Application();

app.addMiddleware(RequestIdMiddleware);

app.post('/orders', (request) => {
  log('creating an order');
  request.backgroundTasks.addTask(() => log('sending the confirmation email'));
  return { created: true, requestId: request.state.requestId };
});
