import request from 'supertest';
import { app } from '../../docs/examples/index/main';

describe('docs/index.md', () => {
  it('the 30-second example answers with JSON, X-Process-Time and CORS headers', async () => {
    const res = await request(app.callback())
      .get('/items/5?q=hammer')
      .set('Origin', 'https://example.org')
      .expect(200)
      .expect('access-control-allow-origin', 'https://example.org')
      .expect({ itemId: 5, q: 'hammer' });
    expect(Number(res.headers['x-process-time'])).toBeGreaterThanOrEqual(0);
  });
});
