import pino from 'pino';
import { Application, OpenTelemetryMiddleware, RequestIdMiddleware, StreamingResponse, pinoBackend } from 'stackware';
import { serve, until } from './helpers';
import { startSdk, type TestSdk } from './opentelemetry/sdk';

/** A real pino logger writing to memory: what it would have written to stdout, line by line. */
function capturedPino(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>>; raw: string[] } {
  const raw: string[] = [];
  const logger = pino({ base: undefined, timestamp: false }, { write: (chunk: string) => void raw.push(chunk) });
  return { logger, raw, lines: () => raw.join('').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

function ordersApp(logger: pino.Logger, tracing: boolean): Application {
  const app = new Application();
  const backend = pinoBackend(logger);
  app.middleware('http')((request, callNext) => {
    request.setLogBackend(backend);
    return callNext(request);
  });
  app.addMiddleware(RequestIdMiddleware);
  if (tracing) app.addMiddleware(OpenTelemetryMiddleware);
  app.post('/orders/{id:int}', (request) => {
    request.log.info('order received', { orderId: request.pathParams.id });
    request.backgroundTasks.addTask(() => request.log.warn('confirmation sent'));
    return new StreamingResponse((async function* () {
      request.log.debug('streaming');
      yield 'ok';
    })());
  });
  return app;
}

describe('request.log with a real pino logger (pinoBackend)', () => {
  let sdk: TestSdk | undefined;
  afterEach(async () => {
    await sdk?.shutdown();
    sdk = undefined;
  });

  it('writes one JSON line per call with the request id, the trace and span ids and the route template, background task included', async () => {
    sdk = startSdk();
    const { logger, lines, raw } = capturedPino();
    logger.level = 'debug';
    const server = await serve(ordersApp(logger, true));
    try {
      const res = await fetch(`${server.url}/orders/9`, { method: 'POST', headers: { 'x-request-id': 'req-1' } });
      expect(await res.text()).toBe('ok');
      await until(() => lines().length === 3, 'three log lines');
      const [span] = await sdk.spans(1);
      const { traceId, spanId } = span.spanContext();
      expect(raw.length).toBe(3); // pino wrote each call as one line
      expect(lines()).toEqual([
        { level: 30, msg: 'order received', orderId: 9, requestId: 'req-1', traceId, spanId, method: 'POST', route: '/orders/{id:int}' },
        { level: 20, msg: 'streaming', requestId: 'req-1', traceId, spanId, method: 'POST', route: '/orders/{id:int}' },
        { level: 40, msg: 'confirmation sent', requestId: 'req-1', traceId, spanId, method: 'POST', route: '/orders/{id:int}' },
      ]);
    } finally {
      await server.close();
    }
  });

  it('has no trace fields when tracing is off', async () => {
    const { logger, lines } = capturedPino();
    const server = await serve(ordersApp(logger, false));
    try {
      await (await fetch(`${server.url}/orders/1`, { method: 'POST', headers: { 'x-request-id': 'req-2' } })).text();
      await until(() => lines().length === 2, 'two log lines');
      expect(lines()).toEqual([
        { level: 30, msg: 'order received', orderId: 1, requestId: 'req-2', method: 'POST', route: '/orders/{id:int}' },
        { level: 40, msg: 'confirmation sent', requestId: 'req-2', method: 'POST', route: '/orders/{id:int}' },
      ]);
    } finally {
      await server.close();
    }
  });
});
