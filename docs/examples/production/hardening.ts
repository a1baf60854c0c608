import { Application, StreamingResponse } from 'stackware';

export const app = new Application({
  maxBodySize: 1024 * 1024, // the default: 1 MiB
  sendTimeout: 30, // a client that takes no byte of a response for 30 s is cut off (default 60)
  lingeringTimeout: 5, // after an early answer, read and discard the rest of an upload for 5 s...
  lingeringMaxBytes: 16 * 1024 * 1024, // ...or 16 MiB, then close (the defaults)
  onProtoPoisoning: 'error', // a "__proto__" key in a JSON body, or a form field of that name: 400 (the default)
  onConstructorPoisoning: 'remove', // a "constructor": {"prototype": ...} key: dropped (default: 400)
});

app.post('/profile', async (request) => {
  const changes = await request.json<Record<string, unknown>>();
  return Object.assign({ name: 'anonymous' }, changes);
});

app.post('/search', async (request) => {
  const form = await request.form({ maxFields: 20, maxFieldNameSize: 64 });
  return { terms: form.getAll('q') };
});

async function* reportRows(): AsyncGenerator<string> {
  for (let row = 1; row <= 3; row++) yield `row ${row}\n`;
}

// A report some clients fetch over slow links: its own, longer send timeout.
app.get('/report', () => new StreamingResponse(reportRows(), { mediaType: 'text/plain' }), { sendTimeout: 300 });
