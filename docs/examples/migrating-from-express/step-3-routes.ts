import bodyParser from 'body-parser';
import { Application, HTTPException, connectMiddleware, fromNodeHandler } from 'stackware';
import { createLegacyApp } from './legacy';

export const app = new Application();

// Moved over: typed path parameters, a thrown HTTPException for the 404.
app.get('/users/{id:int}', (request) => {
  const { id } = request.pathParams;
  if (id > 1000) throw new HTTPException(404, 'No such user');
  return { id, from: 'stackware' };
});

// A Connect body parser can stay on a moved route while its handler changes; the body is still
// readable with request.json().
app.post('/orders', async (request) => ({ ordered: await request.json(), from: 'stackware' }), {
  statusCode: 201,
  middleware: [connectMiddleware(bodyParser.json())],
});

// What is left is still answered by Express.
app.mount('', fromNodeHandler(createLegacyApp()));
