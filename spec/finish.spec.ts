import { request as httpRequest } from 'node:http';
import {
  Application,
  BackgroundTasks,
  BaseHTTPMiddleware,
  StreamingResponse,
  type CallNext,
  type Request,
  type Response,
  type ResponseFinished,
} from 'stackware';
import { drivers } from './adapters/drivers';
import { recordingLogger, serve, sleep, within } from './helpers';

/** Records every request's response-finished report, as an access log or a metrics layer would. */
class RecordFinish extends BaseHTTPMiddleware {
  static reports: Array<ResponseFinished & { path: string; at: number }> = [];
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    request.onFinish((finished) => RecordFinish.reports.push({ ...finished, path: request.path, at: performance.now() }));
    return callNext(request);
  }
}

const waitForReports = async (count: number): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (RecordFinish.reports.length < count && Date.now() < deadline) await sleep(5);
};

function app(): Application {
  const application = new Application({ logger: recordingLogger() });
  application.addMiddleware(RecordFinish);
  application.get('/json', () => ({ hello: 'wörld' }));
  application.get('/stream', () =>
    new StreamingResponse(
      (async function* () {
        for (let i = 0; i < 6; i++) {
          await sleep(100);
          yield `data: ${i}\n\n`;
        }
      })(),
      { mediaType: 'text/event-stream' },
    ),
  );
  application.get('/broken', () => {
    throw new Error('boom');
  });
  return application;
}

beforeEach(() => {
  RecordFinish.reports = [];
});

describe.each(drivers)('request.onFinish through the $name adapter', (driver) => {
  it('fires once with the status, the body bytes and completed: true for a JSON response', async () => {
    const result = await driver.send(app(), { path: '/json' });
    await waitForReports(1);
    expect(RecordFinish.reports).toEqual([
      expect.objectContaining({ path: '/json', statusCode: 200, bytesSent: result.body.byteLength, completed: true }),
    ]);
    expect(result.body.byteLength).toBe(Buffer.byteLength('{"hello":"wörld"}'));
  });

  it('times a streaming response to its last byte, not to its headers (600 ms of events)', async () => {
    const result = await driver.send(app(), { path: '/stream' });
    await waitForReports(1);
    const [report] = RecordFinish.reports;
    expect(report).toEqual(expect.objectContaining({ statusCode: 200, completed: true, bytesSent: result.body.byteLength }));
    expect(report.durationMs).toBeGreaterThanOrEqual(550);
  });

  it('fires for answers no endpoint made: a 404 and an error turned into a 500', async () => {
    await driver.send(app(), { path: '/nowhere' });
    await driver.send(app(), { path: '/broken' });
    await waitForReports(2);
    expect(RecordFinish.reports.map((r) => [r.path, r.statusCode, r.completed])).toEqual([
      ['/nowhere', 404, true],
      ['/broken', 500, true],
    ]);
  });

  it('counts no body bytes for HEAD', async () => {
    await driver.send(app(), { method: 'HEAD', path: '/json' });
    await waitForReports(1);
    expect(RecordFinish.reports.map((r) => [r.statusCode, r.bytesSent])).toEqual([[200, 0]]);
  });

  it('fires before the background tasks, which do not delay it', async () => {
    const application = app();
    let taskDone = 0;
    application.get('/tasks', () => {
      const tasks = new BackgroundTasks();
      tasks.addTask(async () => {
        await sleep(300);
        taskDone = performance.now();
      });
      return new StreamingResponse(['done'], { background: tasks });
    });
    await driver.send(application, { path: '/tasks' });
    await waitForReports(1);
    await within((async () => {
      while (taskDone === 0) await sleep(10);
    })(), 3000, 'the background task');
    expect(RecordFinish.reports[0].at).toBeLessThan(taskDone);
  });
});

describe('request.onFinish, details', () => {
  it('reports completed: false when the client goes away mid-stream (node, real socket)', async () => {
    const server = await serve(app());
    try {
      await new Promise<void>((resolve, reject) => {
        const client = httpRequest(`${server.url}/stream`, { agent: false }, (res) => {
          res.once('data', () => {
            client.destroy();
            resolve();
          });
        });
        client.on('error', () => undefined);
        client.on('close', resolve);
        setTimeout(() => reject(new Error('no first chunk')), 3000);
        client.end();
      });
      await waitForReports(1);
      expect(RecordFinish.reports).toEqual([expect.objectContaining({ path: '/stream', statusCode: 200, completed: false })]);
      expect(RecordFinish.reports[0].durationMs).toBeLessThan(500);
    } finally {
      await server.close();
    }
  });

  it('reports completed: false when the fetch consumer cancels the body', async () => {
    const response = await app().fetch(new globalThis.Request('http://testserver/stream'));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    await reader.cancel();
    await waitForReports(1);
    expect(RecordFinish.reports).toEqual([
      expect.objectContaining({ statusCode: 200, completed: false, bytesSent: first.value?.byteLength }),
    ]);
  });

  it('logs a listener that throws; the other listeners still run; a late listener fires at once', async () => {
    const logger = recordingLogger();
    const application = new Application({ logger });
    const seen: string[] = [];
    let late: Promise<ResponseFinished> | undefined;
    application.get('/', (request) => {
      request.onFinish(() => {
        throw new Error('listener bug');
      });
      request.onFinish(() => seen.push('second'));
      request.backgroundTasks.addTask(() => {
        late = new Promise((resolve) => request.onFinish(resolve));
      });
      return 'ok';
    });
    const server = await serve(application);
    try {
      await fetch(`${server.url}/`).then((r) => r.text());
      await within((async () => {
        while (late === undefined) await sleep(5);
      })(), 3000, 'the background task');
      expect(seen).toEqual(['second']);
      expect(logger.errors.map((e) => e.message)).toContain('A response-finished listener failed');
      expect(await within(late as Promise<ResponseFinished>, 1000, 'the late listener')).toEqual(expect.objectContaining({ statusCode: 200 }));
    } finally {
      await server.close();
    }
  });
});
