import { Application } from 'stackware';
import { recordingLogger } from '../helpers';
import { closed, nextMessage, serveWs } from './ws-client';

it('echo', async () => {
  const app = new Application({ logger: recordingLogger() });
  app.websocket('/echo', async (ws) => {
    await ws.accept();
    for await (const m of ws) await ws.sendText(`echo ${String(m)}`);
  });
  const served = await serveWs(app);
  try {
    const ws = await served.open('/echo');
    ws.send('hi');
    expect(await nextMessage(ws)).toBe('echo hi');
    const c = closed(ws);
    ws.close(1000);
    expect((await c).code).toBe(1000);
    expect((await served.refused('/nope')).status).toBe(404);
  } finally {
    await served.close();
  }
});
