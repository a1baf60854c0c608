import { setTimeout as sleep } from 'node:timers/promises';
import { Application, ServerTimingMiddleware, serverTiming } from 'stackware';

export const app = new Application();

app.addMiddleware(ServerTimingMiddleware);

async function loadUsers(): Promise<string[]> {
  await sleep(20); // a database query, say
  return ['ada', 'grace'];
}

app.get('/users', async (request) => {
  const timing = serverTiming(request);
  timing.mark('cache', undefined, 'miss');
  const users = await timing.time('db', loadUsers, 'Load users');
  return { users };
});
