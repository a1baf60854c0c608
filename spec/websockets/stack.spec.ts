// A handshake is a request: it travels the whole middleware stack before any upgrade.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  APIRouter,
  Application,
  AuthCredentials,
  AuthenticationError,
  AuthenticationMiddleware,
  BaseHTTPMiddleware,
  CORSMiddleware,
  GZipMiddleware,
  PlainTextResponse,
  ProxyHeadersMiddleware,
  RequestIdMiddleware,
  SessionMiddleware,
  SimpleUser,
  TimeoutMiddleware,
  TrustedHostMiddleware,
  WebSocketException,
  requestId,
  requires,
  type CallNext,
  type Request,
  type Response,
  type WebSocket,
} from 'stackware';
import { createServer } from 'node:http';
import { rawExchange, recordingLogger, sleep, within } from '../helpers';
import { closed, nextMessage, WsClient, type Served, usingServed } from './ws-client';

function deferred<T = void>(): { wait: () => Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { wait: () => within(promise, 3000, 'a step of the handler'), resolve };
}

/** The headers of the 101 a client received. */
function upgradeHeaders(served: Served, path: string, headers: Record<string, string> = {}): Promise<Record<string, string | string[] | undefined>> {
  return within(
    new Promise((resolve, reject) => {
      const ws = new WsClient(served.url + path, { headers });
      served.clients.add(ws);
      ws.once('upgrade', (res) => {
        resolve({ ...res.headers });
        ws.terminate();
      });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected-response ${res.statusCode}`)));
      ws.once('error', reject);
    }),
    3000,
    'the 101',
  );
}

const echo = async (ws: WebSocket): Promise<void> => {
  await ws.accept();
  for await (const message of ws.iterText()) await ws.sendText(message);
};

class BasicAuth {
  async authenticate(request: Request): Promise<readonly [AuthCredentials, SimpleUser] | null> {
    const header = request.headers.get('authorization');
    if (header === null) return null;
    if (header !== 'Bearer good') throw new AuthenticationError('Invalid credentials');
    return [new AuthCredentials(['authenticated']), new SimpleUser('tom')];
  }
}

describe('a websocket handshake travels the middleware stack', () => {
  it('an auth middleware answering 401 refuses the handshake: the client sees the 401 as unexpected-response', async () => {
    const app = new Application({ logger: recordingLogger() });
    let reached = false;
    app.middleware('http')(async (request, callNext) => {
      if (request.headers.get('authorization') !== 'Bearer good') return new PlainTextResponse('Unauthorized', { statusCode: 401, headers: { 'www-authenticate': 'Bearer' } });
      return callNext(request);
    });
    app.websocket('/ws', async (ws) => {
      reached = true;
      await echo(ws);
    });
    await usingServed(app, async (served) => {
      const answer = await served.refused('/ws');
      expect(answer).toMatchObject({ status: 401, body: 'Unauthorized' });
      expect(answer.headers['www-authenticate']).toBe('Bearer');
      expect(reached).toBe(false);
      const ws = await served.open('/ws', { headers: { authorization: 'Bearer good' } });
      ws.send('hi');
      expect(await nextMessage(ws)).toBe('hi');
    });
  });

  it('AuthenticationMiddleware sets ws.user; test_websocket_authentication_required: requires() refuses with 403, bad credentials get onError (400)', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.addMiddleware(AuthenticationMiddleware, { backend: new BasicAuth() });
    app.websocket(
      '/ws',
      requires('authenticated', async (ws: WebSocket) => {
        await ws.accept();
        await ws.sendJson({ authenticated: ws.user.isAuthenticated, user: ws.user.displayName, scopes: ws.auth.scopes });
        await ws.close();
      }),
    );
    await usingServed(app, async (served) => {
      expect((await served.refused('/ws')).status).toBe(403);
      expect(await served.refused('/ws', { headers: { authorization: 'Basic foobar' } })).toMatchObject({ status: 400, body: 'Invalid credentials' });
      const ws = await served.open('/ws', { headers: { authorization: 'Bearer good' } });
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ authenticated: true, user: 'tom', scopes: ['authenticated'] });
    });
  });

  it('headers a middleware adds on the way out are sent on the 101, and request.isWebSocket tells a handshake', async () => {
    const app = new Application({ logger: recordingLogger() });
    const seen: boolean[] = [];
    class Tag extends BaseHTTPMiddleware {
      async dispatch(request: Request, callNext: CallNext): Promise<Response> {
        seen.push(request.isWebSocket);
        const response = await callNext(request);
        response.headers.set('x-tag', request.isWebSocket ? 'handshake' : 'http');
        return response;
      }
    }
    app.addMiddleware(Tag);
    app.addMiddleware(RequestIdMiddleware);
    app.websocket('/ws', echo);
    app.get('/ws', () => 'plain');
    await usingServed(app, async (served) => {
      const headers = await upgradeHeaders(served, '/ws', { 'x-request-id': 'abc-123' });
      expect(headers['x-tag']).toBe('handshake');
      expect(headers['x-request-id']).toBe('abc-123');
      const plain = await fetch(`${served.http}/ws`);
      expect(await plain.json()).toBe('plain');
      expect(plain.headers.get('x-tag')).toBe('http');
      expect(seen).toEqual([true, false]);
    });
  });

  it('AsyncLocalStorage context set by a middleware, the request id and the session reach the handler', async () => {
    const app = new Application({ logger: recordingLogger() });
    const store = new AsyncLocalStorage<string>();
    app.middleware('http')((request, callNext) => store.run(`ctx:${request.path}`, () => callNext(request)));
    app.addMiddleware(RequestIdMiddleware);
    app.addMiddleware(SessionMiddleware, { secretKey: 'x'.repeat(32) });
    app.get('/login', (request) => {
      request.session.user = 'ada';
      return 'ok';
    });
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      await ws.receiveText();
      // After a message arrived, long after the handshake's answer went out.
      await ws.sendJson({ context: store.getStore(), requestId: requestId(), stateId: ws.state.requestId, session: ws.session });
      await ws.close();
    });
    await usingServed(app, async (served) => {
      const login = await fetch(`${served.http}/login`);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
      expect(cookie).toMatch(/^session=/);
      const ws = await served.open('/ws', { headers: { cookie, 'x-request-id': 'req-7' } });
      ws.send('go');
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ context: 'ctx:/ws', requestId: 'req-7', stateId: 'req-7', session: { user: 'ada' } });
    });
  });

  it('ProxyHeadersMiddleware and TrustedHostMiddleware run for the handshake', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.addMiddleware(TrustedHostMiddleware, { allowedHosts: ['example.com'] });
    app.addMiddleware(ProxyHeadersMiddleware, { trustedHosts: '127.0.0.1' });
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      await ws.sendJson({ url: String(ws.url), client: ws.client?.host });
      await ws.close();
    });
    await usingServed(app, async (served) => {
      expect((await served.refused('/ws', { headers: { host: 'evil.test' } })).status).toBe(400);
      const ws = await served.open('/ws', { headers: { host: 'example.com', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } });
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ url: 'wss://example.com/ws', client: '203.0.113.9' });
    });
  });

  it('GZip never touches a 101, CORS adds only its usual header, and a timeout applies to the handshake only', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.addMiddleware(TimeoutMiddleware, { seconds: 0.2 });
    app.addMiddleware(GZipMiddleware, { minimumSize: 1 });
    app.addMiddleware(CORSMiddleware, { allowOrigins: ['https://app.test'] });
    let late: Promise<unknown> | undefined;
    app.websocket('/ws', async (ws) => {
      if (ws.queryParams.get('slow') === '1') {
        await sleep(400);
        late = ws.accept().catch((error: unknown) => error);
        return;
      }
      await ws.accept();
      await sleep(400);
      await ws.sendText('still here after the timeout');
      await ws.close();
    });
    await usingServed(app, async (served) => {
      const headers = await upgradeHeaders(served, '/ws', { origin: 'https://app.test', 'accept-encoding': 'gzip' });
      expect(headers['content-encoding']).toBeUndefined();
      expect(String(headers.vary)).not.toMatch(/accept-encoding/i);
      expect(headers['access-control-allow-origin']).toBe('https://app.test');
      const ws = await served.open('/ws', { headers: { 'accept-encoding': 'gzip' } });
      expect(await nextMessage(ws, 2000)).toBe('still here after the timeout');
      expect((await served.refused('/ws?slow=1')).status).toBe(504);
      await within((async () => {
        while (late === undefined) await sleep(10);
      })(), 2000, 'the late accept');
      expect(String(await late)).toMatch(/WebSocketDisconnect|1006/);
    });
  });
});

describe('the handshake answer', () => {
  it('close before accept is an HTTP 403; an error before accept a 500; a WebSocketException before accept a 403', async () => {
    const log = recordingLogger();
    const app = new Application({ logger: log });
    app.websocket('/close', (ws) => ws.close());
    app.websocket('/boom', async () => {
      throw new Error('boom');
    });
    app.websocket('/policy', async () => {
      throw new WebSocketException(1008, 'no');
    });
    app.websocket('/forgot', async () => undefined);
    await usingServed(app, async (served) => {
      expect((await served.refused('/close')).status).toBe(403);
      expect((await served.refused('/boom')).status).toBe(500);
      expect((await served.refused('/policy')).status).toBe(403);
      expect((await served.refused('/forgot')).status).toBe(500);
      expect(log.errors.map((e) => String(e.error))).toEqual(['Error: boom', expect.stringMatching(/returned without calling accept\(\) or close\(\)/)]);
    });
  });

  it('an error after accept closes the socket with 1011 and is logged once; a WebSocketException closes with its code, not logged', async () => {
    const log = recordingLogger();
    const app = new Application({ logger: log });
    app.websocket('/boom', async (ws) => {
      await ws.accept();
      await ws.receiveText();
      throw new Error('after accept');
    });
    app.websocket('/policy', async (ws) => {
      await ws.accept();
      throw new WebSocketException(1008, 'policy');
    });
    await usingServed(app, async (served) => {
      const ws = await served.open('/boom');
      const close = closed(ws);
      ws.send('x');
      expect((await close).code).toBe(1011);
      const policy = await served.open('/policy');
      expect(await closed(policy)).toEqual({ code: 1008, reason: 'policy' });
      await sleep(50);
      expect(log.errors).toHaveLength(1);
      expect(log.errors[0].message).toMatch(/1011/);
      expect(String(log.errors[0].error)).toBe('Error: after accept');
    });
  });

  it('a path without a websocket route answers 404, an HTTP-only route too (no 405), and a normal request to a websocket route is a 404', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.get('/http', () => 'http');
    app.websocket('/ws', echo);
    await usingServed(app, async (served) => {
      expect((await served.refused('/nowhere')).status).toBe(404);
      expect((await served.refused('/http')).status).toBe(404);
      expect((await fetch(`${served.http}/ws`)).status).toBe(404);
      expect((await fetch(`${served.http}/http`)).status).toBe(200);
    });
  });

  it('a middleware that replaces the 101 on its way out refuses the socket: accept() rejects with WebSocketDisconnect 1006', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.middleware('http')(async (request, callNext) => {
      await callNext(request);
      return new PlainTextResponse('replaced', { statusCode: 503 });
    });
    const seen = deferred<unknown>();
    app.websocket('/ws', async (ws) => {
      await ws.accept().catch((error: unknown) => seen.resolve(error));
    });
    await usingServed(app, async (served) => {
      expect(await served.refused('/ws')).toMatchObject({ status: 503, body: 'replaced' });
      expect(await seen.wait()).toMatchObject({ name: 'WebSocketDisconnect', code: 1006 });
    });
  });

  it('an upgrade to another protocol than websocket is served as an ordinary request, then the connection closed', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.get('/', (request) => ({ websocket: request.isWebSocket }));
    await usingServed(app, async (served) => {
      const answer = await rawExchange(served.http, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
      expect(answer).toMatch(/connection: close/i);
      expect(answer).toMatch(/\{"websocket":false\}$/);
    });
  });

  it('a malformed handshake gets a 400 before the stack', async () => {
    const app = new Application({ logger: recordingLogger() });
    let reached = 0;
    app.middleware('http')((request, callNext) => {
      reached++;
      return callNext(request);
    });
    app.websocket('/ws', echo);
    await usingServed(app, async (served) => {
      const answer = await rawExchange(
        served.http,
        'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n',
      );
      expect(answer).toMatch(/^HTTP\/1.1 400 Bad Request/);
      expect(answer).toMatch(/Sec-WebSocket-Key/);
      expect(reached).toBe(0);
    });
  });
});

describe('the session after the 101', () => {
  it('request-scoped dependency exit code and background tasks run after the socket closed', async () => {
    const app = new Application({ logger: recordingLogger() });
    const events: string[] = [];
    const finished = deferred();
    async function* database(): AsyncGenerator<string> {
      events.push('setup');
      yield 'db';
      events.push('exit');
      finished.resolve();
    }
    app.websocket('/ws', async (ws) => {
      const db = await ws.depends(database);
      ws.request.backgroundTasks.addTask(() => {
        events.push('background');
      });
      await ws.accept();
      for await (const message of ws.iterText()) await ws.sendText(`${db}:${message}`);
      events.push('handler done');
    });
    await usingServed(app, async (served) => {
      const ws = await served.open('/ws');
      ws.send('a');
      expect(await nextMessage(ws)).toBe('db:a');
      expect(events).toEqual(['setup']);
      const close = closed(ws);
      ws.close();
      await close;
      await finished.wait();
      expect(events).toEqual(['setup', 'handler done', 'background', 'exit']);
    });
  });

  it('a handler busy while the client sent a message and closed still gets the message, then the WebSocketDisconnect', async () => {
    const app = new Application({ logger: recordingLogger() });
    const seen = deferred<unknown[]>();
    const sent = deferred();
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      await sent.wait();
      await sleep(100);
      const got: unknown[] = [await ws.receiveText()];
      await ws.receiveText().catch((error: unknown) => got.push(error));
      seen.resolve(got);
    });
    await usingServed(app, async (served) => {
      const ws = await served.open('/ws');
      ws.send('last words');
      ws.close(4000, 'bye');
      sent.resolve();
      const [text, error] = await seen.wait();
      expect(text).toBe('last words');
      expect(error).toMatchObject({ name: 'WebSocketDisconnect', code: 4000, reason: 'bye' });
    });
  });

  it('APIRouter.websocket, a mount and a typed path parameter', async () => {
    const app = new Application({ logger: recordingLogger() });
    const router = new APIRouter({ prefix: '/rooms' });
    router.websocket('/{room:int}', async (ws) => {
      const room: number = ws.pathParams.room;
      await ws.accept();
      await ws.sendJson({ room, type: typeof room });
      await ws.close();
    });
    app.includeRouter(router, { prefix: '/v1' });
    const sub = new Application();
    sub.websocket('/echo/{name}', async (ws) => {
      await ws.accept();
      await ws.sendText(`hello ${ws.pathParams.name}`);
      await ws.close();
    });
    app.mount('/sub', sub);
    await usingServed(app, async (served) => {
      const ws = await served.open('/v1/rooms/42');
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ room: 42, type: 'number' });
      expect((await served.refused('/v1/rooms/abc')).status).toBe(404);
      const mounted = await served.open('/sub/echo/ada');
      expect(await nextMessage(mounted)).toBe('hello ada');
    });
  });

  it('a server without the upgrade listener (createServer(app.callback()) alone) gets the handshake as an ordinary GET: a 404', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.websocket('/ws', echo);
    const server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const ws = new WsClient(`ws://127.0.0.1:${port}/ws`);
      ws.on('error', () => undefined);
      const status = await within(new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))), 3000, 'the answer');
      ws.terminate();
      expect(status).toBe(404);
      server.on('upgrade', app.upgradeCallback());
      const upgraded = new WsClient(`ws://127.0.0.1:${port}/ws`);
      await within(new Promise((resolve) => upgraded.once('open', resolve)), 3000, 'the upgrade');
      upgraded.terminate();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
