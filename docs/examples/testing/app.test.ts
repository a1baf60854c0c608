import request from 'supertest';
import { app } from './app';

describe('items API', () => {
  it('reads an item, through the middleware', async () => {
    await request(app.callback())
      .get('/items/42')
      .expect(200)
      .expect('x-served-by', 'stackware')
      .expect({ itemId: 42 });
  });

  it('answers 404 with a FastAPI-style detail', async () => {
    await request(app.callback()).get('/items/0').expect(404).expect({ detail: 'Item not found' });
  });

  it('creates an item from a JSON body', async () => {
    await request(app.callback()).post('/items').send({ name: 'hammer' }).expect(200).expect({ created: 'hammer' });
  });

  it('answers 400 to malformed JSON and 422 to a wrong shape', async () => {
    await request(app.callback()).post('/items').set('content-type', 'application/json').send('{oops').expect(400);
    await request(app.callback()).post('/items').send({ name: 3 }).expect(422);
  });
});
