import { Application, HTTPException } from 'stackware';

export const app = new Application();

const items = new Map([
  [1, { name: 'Hammer' }],
  [2, { name: 'Screwdriver' }],
]);

// `{itemId:int}` matches digits only and converts them: request.pathParams.itemId is a number.
app.get('/items/{itemId:int}', (request) => {
  const item = items.get(request.pathParams.itemId as number);
  if (item === undefined) throw new HTTPException(404, 'Item not found');
  return { itemId: request.pathParams.itemId, ...item, q: request.queryParams.get('q') };
});

// A fixed path registered before a parametrized one wins for that path.
app.get('/users/me', () => ({ userId: 'the current user' }));
app.get('/users/{userId}', (request) => ({ userId: request.pathParams.userId }));

// `{filePath:path}` takes the rest of the path, slashes included.
app.get('/files/{filePath:path}', (request) => ({ filePath: request.pathParams.filePath }));
