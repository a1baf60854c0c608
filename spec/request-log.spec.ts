import { Application, RequestIdMiddleware, StreamingResponse, pinoBackend, type LogBackend, type PinoLike, type RequestLogFields } from 'stackware';
import { serve, until } from './helpers';

type Line = { level: string; message: string; fields: RequestLogFields };

function recordingBackend(): LogBackend & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (message: string, fields: RequestLogFields) => lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('request.log', () => {
  it('binds the request id, method and route template in middleware, endpoint, streaming body and background task', async () => {
    const backend = recordingBackend();
    const app = new Application();
    app.middleware('http')(async (request, callNext) => {
      request.log.info('before routing');
      const response = await callNext(request);
      request.log.info('after routing', { status: response.statusCode });
      return response;
    });
    // Outermost: the id is set first, then the backend chosen, so every line has both.
    app.middleware('http')((request, callNext) => {
      request.setLogBackend(backend);
      return callNext(request);
    });
    app.addMiddleware(RequestIdMiddleware);
    app.get('/orders/{id:int}', (request) => {
      request.log.warn('endpoint', { orderId: request.pathParams.id });
      request.backgroundTasks.addTask(() => request.log.error('background task'));
      return new StreamingResponse(
        (async function* () {
          yield 'a';
          request.log.debug('streaming body');
          yield 'b';
        })(),
      );
    });
    const server = await serve(app);
    try {
      const response = await fetch(`${server.url}/orders/5`, { headers: { 'x-request-id': 'req-123' } });
      expect(await response.text()).toBe('ab');
      await until(() => backend.lines.length === 5, 'five log lines');
      const bound = { requestId: 'req-123', method: 'GET', route: '/orders/{id:int}' };
      expect(backend.lines).toEqual([
        { level: 'info', message: 'before routing', fields: { requestId: 'req-123', method: 'GET' } },
        { level: 'warn', message: 'endpoint', fields: { orderId: 5, ...bound } },
        { level: 'info', message: 'after routing', fields: { status: 200, ...bound } },
        { level: 'debug', message: 'streaming body', fields: bound },
        { level: 'error', message: 'background task', fields: bound },
      ]);
    } finally {
      await server.close();
    }
  });

  it('writes to console by default, with the fields as the second argument', async () => {
    const app = new Application();
    app.get('/', (request) => {
      request.log.info('hello');
      return 'ok';
    });
    const spy = jest.spyOn(console, 'info').mockImplementation(() => undefined);
    try {
      await app.fetch(new globalThis.Request('http://localhost/'));
      expect(spy).toHaveBeenCalledWith('hello', { method: 'GET', route: '/' });
    } finally {
      spy.mockRestore();
    }
  });

  it('the caller cannot overwrite the bound fields', async () => {
    const backend = recordingBackend();
    const app = new Application();
    app.get('/', (request) => {
      request.setLogBackend(backend);
      request.log.info('spoof', { method: 'DELETE', route: '/admin' });
      return 'ok';
    });
    await app.fetch(new globalThis.Request('http://localhost/'));
    expect(backend.lines[0].fields).toEqual({ method: 'GET', route: '/' });
  });

  it('pinoBackend passes the fields first and the message second, as pino takes them', () => {
    const calls: Array<[string, object, string]> = [];
    const pinoShaped: PinoLike = {
      debug: (o, m) => calls.push(['debug', o, m]),
      info: (o, m) => calls.push(['info', o, m]),
      warn: (o, m) => calls.push(['warn', o, m]),
      error: (o, m) => calls.push(['error', o, m]),
    };
    pinoBackend(pinoShaped).warn('slow', { method: 'GET', route: '/' });
    expect(calls).toEqual([['warn', { method: 'GET', route: '/' }, 'slow']]);
  });
});
