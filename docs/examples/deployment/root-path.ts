import { Application } from 'stackware';

// The proxy forwards https://example.com/api/items/7 as /items/7: it strips the prefix.
export const app = new Application({ rootPath: '/api' });

app.get(
  '/items/{id:int}',
  (request) => ({
    path: request.path, // '/api/items/7': the root path is put back
    url: request.url.href, // 'http://example.com/api/items/7'
    self: request.urlFor('item', { id: request.pathParams.id }).href,
  }),
  { name: 'item' },
);

app.get('/docs/', () => ({ ok: true })); // GET /docs redirects to /api/docs/
