import request from 'supertest';
import { Application } from 'stackware';
import { app as tutorial001 } from '../../docs/examples/middleware/tutorial001/main';
import { app as tutorial002 } from '../../docs/examples/middleware/tutorial002/main';
import { ProcessTimeHeaderMiddleware } from '../../docs/examples/middleware/tutorial002/middleware';
import { app as tutorial003, events } from '../../docs/examples/middleware/tutorial003/main';

const SECONDS = /^\d+(\.\d+)?(e-\d+)?$/;

describe('docs/tutorial/middleware.md', () => {
  it('tutorial001: app.middleware("http") adds an X-Process-Time header in seconds', async () => {
    const res = await request(tutorial001.callback()).get('/').expect(200).expect({ message: 'Hello World' });
    expect(res.headers['x-process-time']).toMatch(SECONDS);
    expect(Number(res.headers['x-process-time'])).toBeLessThan(5);
  });

  it('tutorial002: ProcessTimeHeaderMiddleware from its own module, registered with addMiddleware', async () => {
    const res = await request(tutorial002.callback()).get('/').expect(200).expect({ message: 'Hello World' });
    expect(res.headers['x-process-time']).toMatch(SECONDS);
    expect(ProcessTimeHeaderMiddleware.name).toBe('ProcessTimeHeaderMiddleware');
  });

  it('tutorial002: the header measures the time the rest of the stack took', async () => {
    const app = new Application();
    app.addMiddleware(ProcessTimeHeaderMiddleware);
    app.get('/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 120));
      return 'done';
    });
    const res = await request(app.callback()).get('/slow').expect(200);
    expect(Number(res.headers['x-process-time'])).toBeGreaterThanOrEqual(0.1);
  });

  it('tutorial003: MiddlewareB (added last) is outermost: B → A → route, route → A → B', async () => {
    events.length = 0;
    await request(tutorial003.callback()).get('/').expect(200);
    expect(events).toEqual(['B: request', 'A: request', 'route', 'A: response', 'B: response']);
  });
});
