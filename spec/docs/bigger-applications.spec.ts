import request from 'supertest';
import { app } from '../../docs/examples/bigger-applications/main';

describe('docs/bigger-applications.md', () => {
  it('main.ts: serves the router under /v1/users, each response labelled with its route template', async () => {
    const client = request(app.callback());
    await client.get('/').expect(200, { message: 'Hello Bigger Applications!' }).expect('x-route', '/');
    await client.get('/v1/users/').expect(200, [{ id: 1, name: 'Rick' }]).expect('x-route', '/v1/users/');
    await client.get('/v1/users/1').expect(200, { id: 1, name: 'Rick' }).expect('x-route', '/v1/users/{userId:int}');
    await client.get('/v1/users/2').expect(404, { detail: 'User not found' }).expect('x-route', '/v1/users/{userId:int}');
    await client.get('/v1/users/x').expect(404).expect('x-route', 'unmatched');
  });

  it('routers/users.ts: the POST needs the token, answers 201 and links the new user with urlFor', async () => {
    const client = request(app.callback());
    await client.post('/v1/users/').send({ name: 'Morty' }).expect(401).expect('www-authenticate', 'Bearer');
    const res = await client
      .post('/v1/users/')
      .set('host', 'api.example.com')
      .set('authorization', 'Bearer secret-token')
      .send({ name: 'Morty' })
      .expect(201);
    expect(res.body).toEqual({ id: 2, name: 'Morty', createdBy: 'admin', url: 'http://api.example.com/v1/users/2' });
    expect(app.urlPathFor('readUser', { userId: 2 })).toBe('/v1/users/2');
  });
});
