import request from 'supertest';
import { app as firstApp } from '../../docs/examples/tutorial/first-app';
import { app } from '../../docs/examples/tutorial/path-params';

describe('docs/tutorial/first-steps.md', () => {
  it('first-app: answers JSON, and HEAD too', async () => {
    await request(firstApp.callback()).get('/').expect(200).expect('content-type', 'application/json').expect({ message: 'Hello World' });
    await request(firstApp.callback()).head('/').expect(200);
    await request(firstApp.callback()).post('/').expect(405).expect('allow', 'GET, HEAD');
  });

  it('path-params: converts an int parameter, refuses a non-int, 404s a missing item', async () => {
    const client = request(app.callback());
    await client.get('/items/1?q=x').expect({ itemId: 1, name: 'Hammer', q: 'x' });
    await client.get('/items/abc').expect(404).expect({ detail: 'Not Found' });
    await client.get('/items/9').expect(404).expect({ detail: 'Item not found' });
  });

  it('path-params: the fixed path registered first wins; a path parameter takes slashes', async () => {
    const client = request(app.callback());
    await client.get('/users/me').expect({ userId: 'the current user' });
    await client.get('/users/ada').expect({ userId: 'ada' });
    await client.get('/files/a/b/c.txt').expect({ filePath: 'a/b/c.txt' });
  });
});
