import { request as httpRequest, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Application } from 'stackware';
import { sleep, within, gate } from './helpers';


function getText(url: string, agent?: Agent): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: agent ?? false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('graceful shutdown', () => {
  it('lets a slow request in flight during close() complete with 200, and refuses new connections', async () => {
    const started = gate();
    const release = gate();
    const app = new Application();
    app.get('/slow', async () => {
      started.open();
      await release.promise;
      return 'finished';
    });
    const server = await app.listen(0);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const inFlight = getText(`${url}/slow`);
    await within(started.promise, 2000, 'the slow request to start');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await sleep(20);
    await expect(getText(`${url}/slow`)).rejects.toThrow(/ECONNREFUSED/);
    release.open();
    const res = await within(inFlight, 2000, 'the in-flight response');
    expect(res).toMatchObject({ status: 200, body: '"finished"' });
    await within(closed, 2000, 'close() to finish');
  });

  it('waits for background tasks before close() calls back, and ends idle keep-alive connections', async () => {
    const events: string[] = [];
    const release = gate();
    const app = new Application();
    app.get('/', (request) => {
      request.backgroundTasks.addTask(async () => {
        await release.promise;
        events.push('task done');
      });
      return 'ok';
    });
    const agent = new Agent({ keepAlive: true });
    const server = await app.listen(0);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await getText(url, agent)).status).toBe(200);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await sleep(50);
      expect(events).toEqual([]);
      release.open();
      await within(closed, 2000, 'close() to finish with a keep-alive connection open');
      events.push('closed');
      expect(events).toEqual(['task done', 'closed']);
    } finally {
      agent.destroy();
    }
  });

  it('asks a keep-alive client to close the connection when the response is sent during shutdown', async () => {
    const started = gate();
    const release = gate();
    const app = new Application();
    app.get('/', async () => {
      started.open();
      await release.promise;
      return 'ok';
    });
    const agent = new Agent({ keepAlive: true });
    const server = await app.listen(0);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const pending = getText(url, agent);
      await within(started.promise, 2000, 'the request to start');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      release.open();
      expect((await pending).connection).toBe('close');
      await within(closed, 2000, 'close()');
    } finally {
      agent.destroy();
    }
  });

  it('answers (with Connection: close) a request sent on an idle keep-alive connection just after close() began, instead of resetting it', async () => {
    const app = new Application();
    app.get('/', () => 'ok');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const server = await app.listen(0);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await getText(url, agent)).connection).toBe('keep-alive');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The agent reuses its idle socket: the close must not have destroyed it under the request.
      const next = await getText(url, agent);
      expect(next).toMatchObject({ status: 200, body: '"ok"', connection: 'close' });
      await within(closed, 2000, 'close() to finish');
    } finally {
      agent.destroy();
    }
  });

  it('closes a keep-alive connection that stays idle once close() began, so close() finishes', async () => {
    const app = new Application();
    app.get('/', () => 'ok');
    const agent = new Agent({ keepAlive: true });
    const server = await app.listen(0);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await getText(url, agent);
      const started = Date.now();
      await within(new Promise<void>((resolve) => server.close(() => resolve())), 2000, 'close() with an idle keep-alive connection');
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      agent.destroy();
    }
  });

  it('closes connections by force after shutdownTimeout', async () => {
    const app = new Application({ shutdownTimeout: 0.2 });
    const never = new Promise<string>(() => undefined);
    app.get('/hang', () => never);
    const server = await app.listen(0);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const hanging = getText(`${url}/hang`).catch((error: Error) => error.message);
    await sleep(50);
    const startedAt = Date.now();
    await within(new Promise<void>((resolve) => server.close(() => resolve())), 3000, 'the forced close');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(150);
    expect(await hanging).toMatch(/socket hang up|ECONNRESET/);
  });
});

describe('lifespan', () => {
  it('runs the startup code before listening and the shutdown code after close, sharing its state with requests', async () => {
    const events: string[] = [];
    const app = new Application({
      lifespan: async function* () {
        events.push('startup');
        yield { greeting: 'hello from lifespan' };
        events.push('shutdown');
      },
    });
    app.get('/', (request) => request.state.greeting);
    const server = await app.listen(0);
    expect(events).toEqual(['startup']);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await getText(url)).body).toBe('"hello from lifespan"');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(events).toEqual(['startup', 'shutdown']);
  });

  it('makes listen() reject with the startup error, without listening', async () => {
    const app = new Application({
      lifespan: async function* () {
        throw new Error('database unreachable');
        yield;
      },
    });
    await expect(app.listen(0)).rejects.toThrow('database unreachable');
  });

  it('refuses a lifespan that never yields', async () => {
    // eslint-disable-next-line require-yield
    const app = new Application({ lifespan: async function* () {} });
    await expect(app.startup()).rejects.toThrow(/must yield once/);
  });

  it('gives each request its own copy of the lifespan state', async () => {
    const app = new Application({
      lifespan: async function* () {
        yield { counter: 0 };
      },
    });
    app.get('/', (request) => {
      request.state.counter = (request.state.counter as number) + 1;
      return request.state.counter;
    });
    const server = await app.listen(0);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await getText(url)).body).toBe('1');
      expect((await getText(url)).body).toBe('1');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
