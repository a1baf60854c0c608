import request from 'supertest';
import { app as backgroundApp, events as backgroundEvents } from '../../docs/examples/lifecycle/background-middleware';
import { app as contextApp, lines } from '../../docs/examples/lifecycle/context';
import { app as dependenciesApp, sessions } from '../../docs/examples/lifecycle/dependencies';
import { app as dependencyErrorsApp } from '../../docs/examples/lifecycle/dependency-errors';
import { app as streamingApp, sizes } from '../../docs/examples/lifecycle/streaming-middleware';
import { sleep } from '../helpers';

async function eventually(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check() && Date.now() < deadline) await sleep(5);
  expect(check()).toBe(true);
}

describe('docs/lifecycle.md', () => {
  it('streaming-middleware: wraps a streaming body chunk by chunk and rewrites a fixed JSON body', async () => {
    sizes.length = 0;
    const client = request(streamingApp.callback());
    await client.get('/items').expect({ data: [{ id: 1 }] });
    const streamed = await client.get('/numbers').expect(200);
    expect(streamed.text).toBe('1\n2\n3\n');
    await eventually(() => sizes.length === 2);
    expect(sizes).toEqual([JSON.stringify({ data: [{ id: 1 }] }).length, 6]);
  });

  it('dependencies: the session is open for the endpoint and the background task, closed afterwards', async () => {
    sessions.length = 0;
    await request(dependenciesApp.callback()).post('/orders').expect({ created: true });
    await eventually(() => sessions.length === 1 && !sessions[0].open);
    expect(sessions[0].log).toEqual(['audit while open=true']);
  });

  it('dependency-errors, docs_src/dependencies/tutorial008b: the error the exit code raises at the yield is the response', async () => {
    const client = request(dependencyErrorsApp.callback());
    await client.get('/items/foo').expect(404, { detail: 'Item not found' });
    await client.get('/items/plumbus').expect(400, { detail: 'Owner error: Rick' });
    await client.get('/items/portal-gun').expect(200, { description: 'Gun to create portals', owner: 'Rick' });
  });

  it('background-middleware: the middleware\'s background keeps the endpoint\'s, which runs first', async () => {
    backgroundEvents.length = 0;
    await request(backgroundApp.callback()).post('/orders').expect(200, { created: true });
    await eventually(() => backgroundEvents.length === 2);
    expect(backgroundEvents).toEqual(['send the confirmation email', 'audit POST /orders']);
  });

  it('context: the request id set in middleware reaches the endpoint, the stream and the background task', async () => {
    lines.length = 0;
    await request(contextApp.callback()).get('/report').set('x-request-id', 'abc').expect(200);
    await eventually(() => lines.length === 3);
    expect(lines).toEqual(['[abc] endpoint', '[abc] streaming body', '[abc] background task']);
  });
});
