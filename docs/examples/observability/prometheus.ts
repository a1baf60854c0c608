import { Registry, collectDefaultMetrics } from 'prom-client';
import { Application, PrometheusMiddleware, StreamingResponse, metricsEndpoint } from 'stackware';

// One registry for this application: the HTTP metrics plus Node's own (heap, event loop lag, GC).
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const app = new Application();
app.addMiddleware(PrometheusMiddleware, { registry, skipPaths: ['/metrics'] });

app.get('/users/{id:int}', (request) => ({ id: request.pathParams.id }));
app.get('/export', () => new StreamingResponse((async function* () {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    yield `row ${i}\n`;
  }
})()));
app.get('/metrics', metricsEndpoint(registry));
