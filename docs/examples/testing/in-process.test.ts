import { app } from './app';

describe('items API without a socket', () => {
  it('runs a web-standard Request through the whole stack with app.fetch', async () => {
    const response = await app.fetch(new Request('http://test/items/7'));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-served-by')).toBe('stackware');
    expect(await response.json()).toEqual({ itemId: 7 });
  });
});
