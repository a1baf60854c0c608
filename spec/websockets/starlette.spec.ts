// Starlette's tests/test_websockets.py, the endpoint API, over a real socket with a real ws client.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, FileResponse, Response, StreamingResponse, WebSocketDisconnect, WebSocketState, type WebSocket } from 'stackware';
import { recordingLogger, within } from '../helpers';
import { closed, nextMessage, serveWs, WsClient, type Served } from './ws-client';

type Handler = (ws: WebSocket) => Promise<void>;

/** Serves `handler` at every path below `/`, runs `body`, then closes everything. */
async function withHandler(handler: Handler, body: (served: Served, log: ReturnType<typeof recordingLogger>) => Promise<void>): Promise<void> {
  const log = recordingLogger();
  const app = new Application({ logger: log });
  app.websocket('/{path:path}', handler);
  const served = await serveWs(app);
  try {
    await body(served, log);
  } finally {
    await served.close();
  }
}

/** A promise settled by the handler, to see what it saw. */
function outcome<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise: within(promise, 3000, 'the handler'), resolve, reject };
}

/** Runs `step` in the handler, resolving `seen` with its error (or undefined). */
function catching(seen: ReturnType<typeof outcome<unknown>>, step: (ws: WebSocket) => Promise<void>): Handler {
  return async (ws) => {
    try {
      await step(ws);
      seen.resolve(undefined);
    } catch (error) {
      seen.resolve(error);
      throw error;
    }
  };
}

describe('WebSocket (Starlette tests/test_websockets.py)', () => {
  it('test_websocket_url: the url has the ws scheme, the path and the query', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept();
        await ws.sendJson({ url: String(ws.url) });
        await ws.close();
      },
      async (served) => {
        const ws = await served.open('/123?a=abc');
        expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ url: `${served.url}/123?a=abc` });
      },
    );
  });

  it('test_websocket_binary_json: receiveJson/sendJson in binary mode', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept();
        const message = await ws.receiveJson('binary');
        await ws.sendJson(message, 'binary');
        await ws.close();
      },
      async (served) => {
        const ws = await served.open('/123?a=abc');
        ws.send(Buffer.from(JSON.stringify({ test: 'data' })), { binary: true });
        const data = await nextMessage(ws);
        expect(Buffer.isBuffer(data)).toBe(true);
        expect(JSON.parse(data.toString())).toEqual({ test: 'data' });
      },
    );
  });

  it('test_websocket_ensure_unicode_on_send_json: JSON text keeps non-ASCII characters as they are', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept();
        await ws.sendJson(await ws.receiveJson('text'), 'text');
        await ws.close();
      },
      async (served) => {
        const ws = await served.open('/');
        ws.send(JSON.stringify({ test: '数据' }));
        expect(await nextMessage(ws)).toBe('{"test":"数据"}');
      },
    );
  });

  it('test_websocket_query_params: queryParams of the handshake', async () => {
    await withHandler(
      async (ws) => {
        const params = Object.fromEntries(ws.queryParams);
        await ws.accept();
        await ws.sendJson({ params });
        await ws.close();
      },
      async (served) => {
        const ws = await served.open('/?a=abc&b=456');
        expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ params: { a: 'abc', b: '456' } });
      },
    );
  });

  it('test_websocket_headers: the handshake headers', async () => {
    await withHandler(
      async (ws) => {
        const headers = Object.fromEntries(ws.headers);
        await ws.accept();
        await ws.sendJson({ headers });
        await ws.close();
      },
      async (served) => {
        const ws = await served.open('/', { headers: { 'user-agent': 'testclient' } });
        const { headers } = JSON.parse(String(await nextMessage(ws))) as { headers: Record<string, string> };
        expect(headers).toMatchObject({ connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'user-agent': 'testclient' });
        expect(headers.host).toBe(served.url.slice('ws://'.length));
        expect(headers['sec-websocket-key']).toMatch(/==$/);
      },
    );
  });

  it('test_websocket_port: the port of the Host header', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept();
        await ws.sendJson({ port: ws.url.port });
        await ws.close();
      },
      async (served) => {
        const ws = await served.open('/123?a=abc', { headers: { host: 'example.com:123' } });
        expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ port: '123' });
      },
    );
  });

  it('test_websocket_send_and_receive_text', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept();
        const data = await ws.receiveText();
        await ws.sendText(`Message was: ${data}`);
        await ws.close();
      },
      async (served) => {
        const ws = await served.open('/');
        ws.send('Hello, world!');
        expect(await nextMessage(ws)).toBe('Message was: Hello, world!');
      },
    );
  });

  it('test_websocket_send_and_receive_bytes', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept();
        const data = await ws.receiveBytes();
        await ws.sendBytes(Buffer.concat([Buffer.from('Message was: '), data]));
        await ws.close();
      },
      async (served) => {
        const ws = await served.open('/');
        ws.send(Buffer.from('Hello, world!'));
        expect(String(await nextMessage(ws))).toBe('Message was: Hello, world!');
      },
    );
  });

  it('test_websocket_send_and_receive_json', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept();
        const data = await ws.receiveJson();
        await ws.sendJson({ message: data });
        await ws.close();
      },
      async (served) => {
        const ws = await served.open('/');
        ws.send(JSON.stringify({ hello: 'world' }));
        expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ message: { hello: 'world' } });
      },
    );
  });

  it('test_websocket_iter_text / test_websocket_iter_bytes / test_websocket_iter_json: the loops end when the client closes', async () => {
    const ended = outcome<string[]>();
    const log: string[] = [];
    await withHandler(
      async (ws) => {
        await ws.accept();
        const kind = ws.pathParams.path;
        if (kind === 'text') for await (const data of ws.iterText()) await ws.sendText(`Message was: ${data}`);
        if (kind === 'bytes') for await (const data of ws.iterBytes()) await ws.sendBytes(Buffer.concat([Buffer.from('Message was: '), data]));
        if (kind === 'json') for await (const data of ws.iterJson()) await ws.sendJson({ message: data });
        log.push(String(kind));
        if (log.length === 3) ended.resolve(log);
      },
      async (served) => {
        const text = await served.open('/text');
        text.send('Hello, world!');
        expect(await nextMessage(text)).toBe('Message was: Hello, world!');
        const bytes = await served.open('/bytes');
        bytes.send(Buffer.from('Hello, world!'));
        expect(String(await nextMessage(bytes))).toBe('Message was: Hello, world!');
        const json = await served.open('/json');
        json.send(JSON.stringify({ hello: 'world' }));
        expect(JSON.parse(String(await nextMessage(json)))).toEqual({ message: { hello: 'world' } });
        for (const ws of [text, bytes, json]) ws.close();
        expect((await ended.promise).sort()).toEqual(['bytes', 'json', 'text']);
      },
    );
  });

  it('test_websocket_concurrency_pattern: a reader and a writer at once', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept();
        const queue: unknown[] = [];
        let wake: (() => void) | undefined;
        let done = false;
        const reader = (async () => {
          for await (const data of ws.iterJson()) {
            queue.push(data);
            wake?.();
          }
          done = true;
          wake?.();
        })();
        while (!done || queue.length > 0) {
          if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          while (queue.length > 0) await ws.sendJson(queue.shift());
        }
        await reader;
      },
      async (served) => {
        const ws = await served.open('/');
        ws.send(JSON.stringify({ hello: 'world' }));
        expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ hello: 'world' });
      },
    );
  });

  it('test_client_close: the handler gets the client close code and reason as a WebSocketDisconnect', async () => {
    const seen = outcome<unknown>();
    await withHandler(
      catching(seen, async (ws) => {
        await ws.accept();
        await ws.receiveText();
      }),
      async (served) => {
        const ws = await served.open('/');
        ws.close(1001, 'Going Away');
        const error = (await seen.promise) as WebSocketDisconnect;
        expect(error).toBeInstanceOf(WebSocketDisconnect);
        expect([error.code, error.reason]).toEqual([1001, 'Going Away']);
      },
    );
  });

  it('test_client_disconnect_on_send: sending after the client dropped rejects with WebSocketDisconnect 1006', async () => {
    const seen = outcome<unknown>();
    let dropped!: () => void;
    const wasDropped = new Promise<void>((resolve) => (dropped = resolve));
    await withHandler(
      catching(seen, async (ws) => {
        await ws.accept();
        await ws.sendText('ready');
        await wasDropped;
        await within((async () => {
          while (ws.clientState !== WebSocketState.Disconnected) await new Promise((r) => setTimeout(r, 5));
        })(), 2000, 'the drop to be seen');
        await ws.sendText('Hello, world!');
      }),
      async (served) => {
        const ws = await served.open('/');
        await nextMessage(ws);
        ws.terminate();
        dropped();
        const error = (await seen.promise) as WebSocketDisconnect;
        expect(error).toBeInstanceOf(WebSocketDisconnect);
        expect(error.code).toBe(1006);
      },
    );
  });

  it('test_application_close / test_websocket_close_reason: the client sees the code and reason the handler closed with', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept();
        await ws.close(1001, 'Going Away');
      },
      async (served) => {
        const ws = await served.open('/');
        expect(await closed(ws)).toEqual({ code: 1001, reason: 'Going Away' });
      },
    );
  });

  it('test_rejected_connection: closing before accept refuses the handshake with an HTTP 403', async () => {
    await withHandler(
      async (ws) => {
        await ws.close(1001);
      },
      async (served) => {
        expect((await served.refused('/')).status).toBe(403);
      },
    );
  });

  it('test_send_denial_response: the client gets the response instead of a 101', async () => {
    await withHandler(
      async (ws) => ws.sendDenialResponse(new Response('foo', { statusCode: 404 })),
      async (served) => {
        expect(await served.refused('/')).toMatchObject({ status: 404, body: 'foo' });
      },
    );
  });

  it('test_send_denial_response_with_streaming_response', async () => {
    await withHandler(
      async (ws) => {
        async function* content(): AsyncGenerator<string> {
          yield 'hello';
          yield 'world';
        }
        await ws.sendDenialResponse(new StreamingResponse(content(), { statusCode: 403 }));
      },
      async (served) => {
        expect(await served.refused('/')).toMatchObject({ status: 403, body: 'helloworld' });
      },
    );
  });

  it('test_send_denial_response_with_file_response', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackware-ws-'));
    const file = join(dir, 'denial.txt');
    writeFileSync(file, 'test content');
    await withHandler(
      async (ws) => ws.sendDenialResponse(new FileResponse(file, { statusCode: 401 })),
      async (served) => {
        expect(await served.refused('/')).toMatchObject({ status: 401, body: 'test content' });
      },
    );
  });

  it('test_send_response_multi: a denial response keeps its headers', async () => {
    await withHandler(
      async (ws) => ws.sendDenialResponse(new Response('hardbody', { statusCode: 404, headers: { foo: 'bar' }, mediaType: 'text/plain' })),
      async (served) => {
        const answer = await served.refused('/');
        expect(answer).toMatchObject({ status: 404, body: 'hardbody' });
        expect(answer.headers.foo).toBe('bar');
      },
    );
  });

  it('test_send_response_duplicate_start: a second denial response, or one after accept, is an error', async () => {
    const seen = outcome<unknown>();
    await withHandler(
      async (ws) => {
        await ws.sendDenialResponse(new Response('foo', { statusCode: 404 }));
        await ws.sendDenialResponse(new Response('foo', { statusCode: 404 })).then(
          () => seen.resolve(undefined),
          (error: unknown) => seen.resolve(error),
        );
      },
      async (served) => {
        expect((await served.refused('/')).status).toBe(404);
        expect(await seen.promise).toBeInstanceOf(Error);
      },
    );
  });

  it('test_subprotocol: accept picks one of the subprotocols the client offered', async () => {
    const offered = outcome<string[]>();
    await withHandler(
      async (ws) => {
        offered.resolve(ws.subprotocols);
        await ws.accept({ subprotocol: 'wamp' });
        await ws.close();
      },
      async (served) => {
        const ws = await served.open('/', { protocols: ['soap', 'wamp'] });
        expect(ws.protocol).toBe('wamp');
        expect(await offered.promise).toEqual(['soap', 'wamp']);
      },
    );
  });

  it('test_additional_headers / test_no_additional_headers: accept({ headers }) adds them to the 101, and nothing else is added', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept(ws.pathParams.path === 'extra' ? { headers: { additional: 'header' } } : {});
        await ws.close();
      },
      async (served) => {
        const upgrades: Array<Record<string, unknown>> = [];
        for (const path of ['/extra', '/plain']) {
          const ws = new WsClient(served.url + path);
          served.clients.add(ws);
          ws.on('upgrade', (res) => upgrades.push({ ...res.headers }));
          await closed(ws);
        }
        expect(upgrades[0].additional).toBe('header');
        expect(Object.keys(upgrades[1]).sort()).toEqual(['connection', 'sec-websocket-accept', 'upgrade']);
      },
    );
  });

  it('test_websocket_exception: an error before accept is an HTTP 500, logged', async () => {
    await withHandler(
      async () => {
        throw new Error('assert False');
      },
      async (served, log) => {
        expect((await served.refused('/123?a=abc')).status).toBe(500);
        expect(log.errors.map((e) => (e.error as Error).message)).toEqual(['assert False']);
      },
    );
  });

  it('test_duplicate_close: a second close() throws', async () => {
    const seen = outcome<unknown>();
    await withHandler(
      catching(seen, async (ws) => {
        await ws.accept();
        await ws.close();
        await ws.close();
      }),
      async (served) => {
        await served.open('/');
        expect(String(await seen.promise)).toMatch(/already closed/);
      },
    );
  });

  it('test_duplicate_disconnect: receive() after the disconnect message throws', async () => {
    const seen = outcome<unknown>();
    await withHandler(
      catching(seen, async (ws) => {
        await ws.accept();
        const message = await ws.receive();
        expect(message.type).toBe('websocket.disconnect');
        await ws.receive();
      }),
      async (served) => {
        (await served.open('/')).close();
        expect(String(await seen.promise)).toMatch(/once a disconnect message has been received/);
      },
    );
  });

  it('test_send_json_invalid_mode / test_receive_json_invalid_mode: a mode other than text or binary throws', async () => {
    const errors: unknown[] = [];
    const done = outcome<unknown[]>();
    await withHandler(
      async (ws) => {
        await ws.accept();
        await ws.sendJson({}, 'invalid' as 'text').catch((error: unknown) => errors.push(error));
        await ws.receiveJson('invalid' as 'text').catch((error: unknown) => errors.push(error));
        done.resolve(errors);
        await ws.close();
      },
      async (served) => {
        await served.open('/');
        const seen = await done.promise;
        expect(seen).toHaveLength(2);
        for (const error of seen) expect(String(error)).toMatch(/"mode" argument should be "text" or "binary"/);
      },
    );
  });

  it('test_receive_text_before_accept / bytes / json / test_send_before_accept: a 500, with the error logged', async () => {
    const steps: Record<string, (ws: WebSocket) => Promise<unknown>> = {
      text: (ws) => ws.receiveText(),
      bytes: (ws) => ws.receiveBytes(),
      json: (ws) => ws.receiveJson(),
      send: (ws) => ws.sendText('x'),
    };
    await withHandler(
      async (ws) => {
        await steps[String(ws.pathParams.path)](ws);
      },
      async (served, log) => {
        for (const path of Object.keys(steps)) expect((await served.refused(`/${path}`)).status).toBe(500);
        expect(log.errors).toHaveLength(4);
        for (const { error } of log.errors) expect(String(error)).toMatch(/Need to call "accept" first/);
      },
    );
  });

  it('test_send_wrong_message_type: accept() twice is an error', async () => {
    const seen = outcome<unknown>();
    await withHandler(
      async (ws) => {
        await ws.accept();
        await ws.accept().then(
          () => seen.resolve(undefined),
          (error: unknown) => seen.resolve(error),
        );
        await ws.close();
      },
      async (served) => {
        await served.open('/');
        expect(String(await seen.promise)).toMatch(/Cannot call "accept"/);
      },
    );
  });

  it('test_receive_wrong_message_type: receiveText on a binary message is a TypeError; the socket closes with 1011', async () => {
    await withHandler(
      async (ws) => {
        await ws.accept();
        await ws.receiveText();
      },
      async (served, log) => {
        const ws = await served.open('/');
        const close = closed(ws);
        ws.send(Buffer.from('x'), { binary: true });
        expect((await close).code).toBe(1011);
        expect(log.errors).toHaveLength(1);
        expect(String(log.errors[0].error)).toMatch(/Expected a text message/);
      },
    );
  });
});
