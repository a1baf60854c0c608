import { trace } from '@opentelemetry/api';
import { Application, OpenTelemetryMiddleware, RequestIdMiddleware } from 'stackware';

const tracer = trace.getTracer('orders');

export const app = new Application();
app.addMiddleware(RequestIdMiddleware);
app.addMiddleware(OpenTelemetryMiddleware, { skipPaths: ['/health'] });

app.get('/health', () => 'ok');
app.get('/orders/{id:int}', async (request) => {
  // A span of your own is a child of the request's span: the request's context is active here.
  const order = await tracer.startActiveSpan('load order', async (span) => {
    span.setAttribute('order.id', request.pathParams.id);
    await new Promise((resolve) => setTimeout(resolve, 5)); // the database, say
    span.end();
    return { id: request.pathParams.id, status: 'shipped' };
  });
  request.backgroundTasks.addTask(() => tracer.startActiveSpan('notify warehouse', (span) => span.end()));
  return order;
});
