import pino from 'pino';
import { Application, OpenTelemetryMiddleware, RequestIdMiddleware, pinoBackend } from 'stackware';

/** pino writes to stdout unless told otherwise: one JSON line per `request.log` call. */
export function createApp(destination: pino.DestinationStream = pino.destination(1)): Application {
  const backend = pinoBackend(pino({ level: 'info' }, destination));
  const app = new Application();
  app.middleware('http')((request, callNext) => {
    request.setLogBackend(backend);
    return callNext(request);
  });
  app.addMiddleware(RequestIdMiddleware);
  app.addMiddleware(OpenTelemetryMiddleware); // with an SDK registered, lines carry traceId and spanId

  app.post('/orders/{id:int}', (request) => {
    request.log.info('order received', { orderId: request.pathParams.id });
    request.backgroundTasks.addTask(() => request.log.info('confirmation sent'));
    return { accepted: true };
  });
  return app;
}
