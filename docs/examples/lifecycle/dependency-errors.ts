import { Application, HTTPException } from 'stackware';

const items = new Map([
  ['plumbus', { description: 'Freshly pickled plumbus', owner: 'Morty' }],
  ['portal-gun', { description: 'Gun to create portals', owner: 'Rick' }],
]);

export class OwnerError extends Error {}

/** The current user. An `OwnerError` from the endpoint arrives at the `yield` and becomes a 400. */
export async function* getUsername(): AsyncGenerator<string> {
  try {
    yield 'Rick';
  } catch (error) {
    if (error instanceof OwnerError) throw new HTTPException(400, `Owner error: ${error.message}`);
    throw error;
  }
}

export const app = new Application();

app.get('/items/{itemId}', async (request) => {
  const username = await request.depends(getUsername);
  const item = items.get(String(request.pathParams.itemId));
  if (item === undefined) throw new HTTPException(404, 'Item not found');
  if (item.owner !== username) throw new OwnerError(username);
  return item;
});
