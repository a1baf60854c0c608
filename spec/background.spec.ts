import { BackgroundTasks, Application, JSONResponse, PlainTextResponse } from 'stackware';
import { recordingLogger, serve, sleep, within, gate } from './helpers';


describe('background tasks', () => {
  it('runs after the response was completely sent: the client has the whole body while the task still sleeps', async () => {
    const release = gate();
    const events: string[] = [];
    const app = new Application();
    app.get('/', () => {
      const background = new BackgroundTasks();
      background.addTask(async () => {
        events.push('task started');
        await release.promise;
        events.push('task finished');
      });
      return new JSONResponse({ big: 'x'.repeat(100_000) }, { background });
    });
    const server = await serve(app);
    try {
      const res = await within(fetch(server.url), 2000, 'the response');
      const body = (await within(res.json(), 2000, 'the whole body')) as { big: string };
      expect(body.big).toHaveLength(100_000);
      expect(events).not.toContain('task finished');
      release.open();
      const deadline = Date.now() + 2000;
      while (!events.includes('task finished') && Date.now() < deadline) await sleep(5);
      expect(events).toEqual(['task started', 'task finished']);
    } finally {
      release.open();
      await server.close();
    }
  });

  it('runs after every middleware has finished, in the order added, the request\'s after the response\'s', async () => {
    const events: string[] = [];
    const done = gate();
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      const response = await callNext(req);
      await sleep(20);
      events.push('middleware after');
      return response;
    });
    app.get('/', (request) => {
      request.backgroundTasks.addTask((name: string) => events.push(name), 'request task 1');
      request.backgroundTasks.addTask(() => {
        events.push('request task 2');
        done.open();
      });
      const background = new BackgroundTasks();
      background.addTask((name: string) => events.push(name), 'response task 1');
      background.addTask((name: string) => events.push(name), 'response task 2');
      return new PlainTextResponse('ok', { background });
    });
    const server = await serve(app);
    try {
      await (await fetch(server.url)).text();
      await within(done.promise, 2000, 'the tasks');
      expect(events).toEqual(['middleware after', 'response task 1', 'response task 2', 'request task 1', 'request task 2']);
    } finally {
      await server.close();
    }
  });

  it('logs a failing task, runs the next one, and leaves other requests alone', async () => {
    const logger = recordingLogger();
    const ran = gate();
    const app = new Application({ logger });
    app.get('/', (request) => {
      request.backgroundTasks.addTask(() => {
        throw new Error('task exploded');
      });
      request.backgroundTasks.addTask(() => ran.open());
      return 'ok';
    });
    app.get('/other', () => 'other');
    const server = await serve(app);
    try {
      expect(await (await fetch(server.url)).json()).toBe('ok');
      await within(ran.promise, 2000, 'the second task');
      expect(logger.errors).toHaveLength(1);
      expect((logger.errors[0].error as Error).message).toBe('task exploded');
      expect(await (await fetch(`${server.url}/other`)).json()).toBe('other');
    } finally {
      await server.close();
    }
  });

  it('runs a task set as the response background only once even when it is request.backgroundTasks', async () => {
    let runs = 0;
    const done = gate();
    const app = new Application();
    app.get('/', (request) => {
      request.backgroundTasks.addTask(() => {
        runs += 1;
        done.open();
      });
      return new PlainTextResponse('ok', { background: request.backgroundTasks });
    });
    const server = await serve(app);
    try {
      await (await fetch(server.url)).text();
      await within(done.promise, 2000, 'the task');
      await sleep(30);
      expect(runs).toBe(1);
    } finally {
      await server.close();
    }
  });
});
