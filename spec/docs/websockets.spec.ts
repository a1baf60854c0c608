import { nextMessage, usingServed } from '../websockets/ws-client';

describe('docs/websockets.md', () => {
  it('echo: echoes text messages next to an HTTP route', async () => {
    const { app } = require('../../docs/examples/websockets/echo') as typeof import('../../docs/examples/websockets/echo');
    await usingServed(app, async (served) => {
      expect(await (await fetch(`${served.http}/`)).json()).toEqual({ message: 'Hello World' });
      const ws = await served.open('/echo');
      ws.send('Hello, world!');
      expect(await nextMessage(ws)).toBe('Message was: Hello, world!');
    });
  });

  it('guarded: the middleware refuses a handshake without the token (401), adds its header to the 101; the handler checks Origin and the message shape', async () => {
    const { app } = require('../../docs/examples/websockets/guarded') as typeof import('../../docs/examples/websockets/guarded');
    await usingServed(app, async (served) => {
      expect(await served.refused('/rooms/7')).toMatchObject({ status: 401, body: 'Unauthorized' });
      expect((await served.refused('/rooms/7?token=secret', { headers: { origin: 'https://evil.example' } })).status).toBe(403);
      const ws = await served.open('/rooms/7?token=secret', { headers: { origin: 'https://app.example.com' } });
      ws.send(JSON.stringify({ text: 'hi' }));
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ room: 7, text: 'hi' });
      const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
      ws.send(JSON.stringify({ text: 1 }));
      expect(await closed).toBe(1003);
      const headers = await new Promise<Record<string, unknown>>((resolve) => {
        const probe = new (require('ws') as typeof import('ws')).WebSocket(`${served.url}/rooms/1?token=secret`);
        served.clients.add(probe);
        probe.on('error', () => undefined);
        probe.once('upgrade', (res) => {
          resolve({ ...res.headers });
          probe.terminate();
        });
      });
      expect(headers['x-served-by']).toBe('stackware');
    });
  });

  it('chat: broadcasts to every connection of the process, names from the session, refuses the anonymous', async () => {
    const { app } = require('../../docs/examples/websockets/chat') as typeof import('../../docs/examples/websockets/chat');
    await usingServed(app, async (served) => {
      const login = async (name: string): Promise<string> => {
        const res = await fetch(`${served.http}/login/${name}`, { method: 'POST' });
        return (res.headers.get('set-cookie') ?? '').split(';')[0];
      };
      expect((await served.refused('/chat')).status).toBe(403);
      const ada = await served.open('/chat', { headers: { cookie: await login('ada') } });
      expect(await nextMessage(ada)).toBe('ada joined');
      const bob = await served.open('/chat', { headers: { cookie: await login('bob') } });
      expect(await nextMessage(bob)).toBe('bob joined');
      expect(await nextMessage(ada)).toBe('bob joined');
      ada.send('hello');
      expect(await nextMessage(ada)).toBe('ada: hello');
      expect(await nextMessage(bob)).toBe('ada: hello');
      ada.close();
      expect(await nextMessage(bob)).toBe('ada left');
    });
  });
});
