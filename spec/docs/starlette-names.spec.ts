import request from 'supertest';
import { app } from '../../docs/examples/advanced/starlette-side-by-side';

describe('docs/starlette-names.md side by side', () => {
  it('adds the custom header through the class middleware with typed options', async () => {
    await request(app.callback()).get('/unicorns/sparkle').expect(200).expect('custom', 'Example').expect({ unicornName: 'sparkle' });
  });

  it('answers a custom error class through its handler, as FastAPI does', async () => {
    await request(app.callback())
      .get('/unicorns/yolo')
      .expect(418)
      .expect({ message: 'Oops! yolo did something. There goes a rainbow...' });
  });

  it('answers an HTTPException with its detail and headers', async () => {
    await request(app.callback()).get('/items/2').expect(404).expect('x-error', 'There goes my error').expect({ detail: 'Item not found' });
    await request(app.callback()).get('/items/1').expect({ item: 'The Foo Wrestlers' });
  });
});
