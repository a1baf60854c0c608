import { start } from '../../docs/examples/deployment/signals';

describe('docs/deployment.md', () => {
  it('signals.ts: app.listen() adds no signal handler; the two lines it shows close the server gracefully on SIGTERM', async () => {
    const before = process.listenerCount('SIGTERM');
    const server = await start(0);
    try {
      expect(process.listenerCount('SIGTERM')).toBe(before + 1);
      const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
      process.emit('SIGTERM', 'SIGTERM');
      await closed;
      expect(server.listening).toBe(false);
    } finally {
      process.removeAllListeners('SIGINT');
      if (server.listening) server.close();
    }
  });
});
