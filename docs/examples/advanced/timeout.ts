import { setTimeout as sleep } from 'node:timers/promises';
import { Application, TimeoutMiddleware } from 'stackware';

export const app = new Application();

app.addMiddleware(TimeoutMiddleware, { seconds: 1 });

app.get('/report', async (request) => {
  // Pass request.signal on: when the time is up, the work stops instead of running for nothing.
  await sleep(3000, undefined, { signal: request.signal });
  return { report: 'ready' };
});

app.get('/fast', () => ({ ok: true }));
