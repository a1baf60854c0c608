import { Application, HTTPException } from 'stackware';

export const app = new Application();

app.middleware('http')(async (request, callNext) => {
  const response = await callNext(request);
  response.headers.set('X-Served-By', 'stackware');
  return response;
});

app.get('/items/{itemId:int}', (request) => {
  if (request.pathParams.itemId === 0) throw new HTTPException(404, 'Item not found');
  return { itemId: request.pathParams.itemId };
});

app.post('/items', async (request) => {
  const item = await request.json<{ name?: unknown }>();
  if (typeof item.name !== 'string') throw new HTTPException(422, 'name must be a string');
  return { created: item.name };
});
