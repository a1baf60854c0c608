import { WebSocket as WsClient } from 'ws';
import { within } from '../helpers';
import { stackware, type Running } from './run';

const APP = 'spec/fixtures/serving-app.ts';
const READY = /serving \S+ on http:\/\/(127\.0\.0\.1:\d+) \(pid \d+\)/;

describe('stackware serve: websockets', () => {
  let running: Running | undefined;
  afterEach(() => running?.kill());

  it('serves a websocket through the stack, logs its 101 when it ends, and closes it with 1001 after the graceful timeout on SIGTERM', async () => {
    running = stackware(['serve', APP, '--port', '0']);
    const [, host] = await running.waitFor(READY);
    const first = new WsClient(`ws://${host}/ws`, { headers: { 'x-request-id': 'ws-req-1' } });
    const upgrade = within(new Promise<string | undefined>((resolve) => first.once('upgrade', (res) => resolve(res.headers['x-request-id'] as string | undefined))), 5000, 'the 101');
    await within(new Promise((resolve) => first.once('open', resolve)), 5000, 'the socket to open');
    expect(await upgrade).toBe('ws-req-1');
    first.send('hello');
    expect(String(await within(new Promise((resolve) => first.once('message', resolve)), 5000, 'the echo'))).toBe('hello');
    first.close();
    await running.waitFor(/"GET \/ws HTTP\/1\.1" 101/, 5000);

    const open = new WsClient(`ws://${host}/ws`);
    await within(new Promise((resolve) => open.once('open', resolve)), 5000, 'the socket to open');
    const closed = within(new Promise<number>((resolve) => open.once('close', (code: number) => resolve(code))), 8000, 'the close');
    const started = Date.now();
    running.child.kill('SIGTERM');
    // The fixture's shutdownTimeout is 1 s.
    expect(await closed).toBe(1001);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await running.exited(8000)).toBe(0);
  }, 30_000);
});
