// Limits of a websocket connection: message size, keep-alive, backpressure, shutdown, leaks.
import { Application, type WebSocket } from 'stackware';
import { recordingLogger, sleep, within } from '../helpers';
import { closed, nextMessage, serveWs, WsClient, usingServed } from './ws-client';

const echo = async (ws: WebSocket): Promise<void> => {
  await ws.accept();
  for await (const message of ws) await (typeof message === 'string' ? ws.sendText(message) : ws.sendBytes(message));
};

describe('websocket limits', () => {
  it('a message past maxMessageSize (1 MiB by default) closes the socket with 1009, and the handler sees the 1009', async () => {
    const app = new Application({ logger: recordingLogger() });
    let seen: unknown;
    app.websocket('/default', async (ws) => {
      await ws.accept();
      try {
        for (;;) await ws.sendBytes(await ws.receiveBytes());
      } catch (error) {
        seen = error;
      }
    });
    app.websocket('/small', echo, { maxMessageSize: 10 });
    await usingServed(app, async (served) => {
      const ws = await served.open('/default');
      ws.send(Buffer.alloc(1024 * 1024));
      expect((await nextMessage(ws, 5000)).length).toBe(1024 * 1024);
      const close = closed(ws, 5000);
      ws.send(Buffer.alloc(1024 * 1024 + 1));
      expect((await close).code).toBe(1009);
      await within((async () => {
        while (seen === undefined) await sleep(10);
      })(), 2000, 'the handler to see the close');
      expect(seen).toMatchObject({ name: 'WebSocketDisconnect', code: 1009 });

      const small = await served.open('/small');
      small.send('0123456789');
      expect(await nextMessage(small)).toBe('0123456789');
      const smallClose = closed(small);
      small.send('0123456789a');
      expect((await smallClose).code).toBe(1009);
    });
  });

  it('a peer that stops answering pings is dropped after pingTimeout; one that answers stays', async () => {
    const app = new Application({ logger: recordingLogger(), websocket: { pingInterval: 0.1, pingTimeout: 0.2 } });
    let seen: unknown;
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      try {
        await ws.receiveText();
      } catch (error) {
        seen = error;
      }
    });
    await usingServed(app, async (served) => {
      const alive = await served.open('/ws');
      const dead = await served.open('/ws', { autoPong: false });
      const deadClosed = closed(dead, 3000);
      expect((await deadClosed).code).toBe(1006);
      await within((async () => {
        while (seen === undefined) await sleep(10);
      })(), 2000, 'the handler to see the drop');
      expect(seen).toMatchObject({ name: 'WebSocketDisconnect', code: 1006 });
      expect(alive.readyState).toBe(WsClient.OPEN);
    });
  });

  it('a slow reader: send waits while the socket buffers more than the high-water mark, so the server never buffers without bound', async () => {
    const app = new Application({ logger: recordingLogger() });
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    let stop = false;
    app.websocket('/flood', async (ws) => {
      await ws.accept();
      while (!stop && sent < 2000) {
        await ws.sendBytes(chunk);
        sent++;
      }
      await ws.close();
    }, { sendHighWaterMark: 256 * 1024 });
    await usingServed(app, async (served) => {
      const ws = new WsClient(`${served.url}/flood`);
      served.clients.add(ws);
      await within(new Promise((resolve) => ws.once('upgrade', resolve)), 3000, 'the upgrade');
      // The client stops reading from its socket: the kernel buffers fill up, then the server's.
      const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
      raw.pause();
      await sleep(500);
      const stalled = sent;
      await sleep(300);
      // 2000 × 64 KiB = 125 MiB would have been queued without backpressure.
      expect(sent).toBe(stalled);
      expect(sent).toBeLessThan(500);
      let received = 0;
      ws.on('message', () => received++);
      const close = closed(ws, 8000);
      raw.resume();
      await close;
      expect(received).toBe(2000);
      stop = true;
    });
  });

  it('a client that takes no bytes for sendTimeout is dropped, and the waiting send rejects', async () => {
    const app = new Application({ logger: recordingLogger() });
    let seen: unknown;
    app.websocket('/flood', async (ws) => {
      await ws.accept();
      try {
        for (;;) await ws.sendBytes(new Uint8Array(64 * 1024));
      } catch (error) {
        seen = error;
      }
    }, { sendHighWaterMark: 64 * 1024, sendTimeout: 0.3 });
    await usingServed(app, async (served) => {
      const ws = new WsClient(`${served.url}/flood`);
      served.clients.add(ws);
      await within(new Promise((resolve) => ws.once('upgrade', resolve)), 3000, 'the upgrade');
      (ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
      await within((async () => {
        while (seen === undefined) await sleep(20);
      })(), 5000, 'the send to give up');
      expect(seen).toMatchObject({ name: 'WebSocketDisconnect', code: 1006 });
    });
  });
});

describe('websockets and the server', () => {
  it('server.close() waits for open websockets until the graceful timeout, then closes them with 1001', async () => {
    const app = new Application({ logger: recordingLogger() });
    const events: string[] = [];
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      try {
        await ws.receiveText();
      } catch (error) {
        events.push(`handler saw ${(error as { code: number }).code}`);
      }
    });
    const server = await app.listen(0, '127.0.0.1', { shutdownTimeout: 0.5 });
    const { port } = server.address() as { port: number };
    const ws = new WsClient(`ws://127.0.0.1:${port}/ws`);
    await within(new Promise((resolve) => ws.once('open', resolve)), 3000, 'the socket to open');
    const close = closed(ws, 5000);
    const started = performance.now();
    const closedServer = within(new Promise<void>((resolve) => server.close(() => resolve())), 5000, 'server.close');
    await sleep(200);
    expect(ws.readyState).toBe(WsClient.OPEN);
    expect(await close).toEqual({ code: 1001, reason: 'Server shutting down' });
    await closedServer;
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
    await within((async () => {
      while (events.length === 0) await sleep(10);
    })(), 2000, 'the handler to see the close');
    expect(events).toEqual(['handler saw 1001']);
  });

  it('server.close() resolves as soon as the last websocket handler is done, before the timeout', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.websocket('/ws', echo);
    const server = await app.listen(0, '127.0.0.1', { shutdownTimeout: 10 });
    const { port } = server.address() as { port: number };
    const ws = new WsClient(`ws://127.0.0.1:${port}/ws`);
    await within(new Promise((resolve) => ws.once('open', resolve)), 3000, 'the socket to open');
    const closedServer = within(new Promise<void>((resolve) => server.close(() => resolve())), 3000, 'server.close');
    await sleep(100);
    ws.close(1000);
    await closedServer;
  });

  it('200 connect/disconnect cycles leave no open socket, session or listener behind', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.websocket('/ws', echo);
    const served = await serveWs(app);
    try {
      const listeners = served.server.listenerCount('upgrade') + served.server.listenerCount('request') + served.server.listenerCount('connection');
      for (let i = 0; i < 200; i++) {
        const ws = await served.open('/ws');
        ws.send(`m${i}`);
        expect(await nextMessage(ws)).toBe(`m${i}`);
        const close = closed(ws);
        if (i % 2 === 0) ws.close();
        else ws.terminate();
        await close;
      }
      const connections = (): Promise<number> => new Promise((resolve) => served.server.getConnections((_e, count) => resolve(count)));
      await within((async () => {
        while ((await connections()) > 0) await sleep(20);
      })(), 3000, 'every connection to close');
      const after = served.server.listenerCount('upgrade') + served.server.listenerCount('request') + served.server.listenerCount('connection');
      expect(after).toBe(listeners);
      const upgrade = served.server.listeners('upgrade')[0] as unknown as { sockets: { size: number } };
      expect(upgrade.sockets.size).toBe(0);
    } finally {
      await served.close();
    }
  }, 30_000);
});
