import { Application, HTTPException, JSONResponse, checkPreconditions, type Request } from 'stackware';

interface Note {
  text: string;
  version: number;
}

const notes = new Map<string, Note>([['1', { text: 'first draft', version: 1 }]]);

function noteFor(request: Request): Note {
  const note = notes.get(String(request.pathParams.id));
  if (note === undefined) throw new HTTPException(404, 'Note not found');
  return note;
}

const etagOf = (note: Note): string => `"v${note.version}"`;

export const app = new Application();

app.get('/notes/{id}', (request) => {
  const note = noteFor(request);
  // A 304 when the client's copy is the current version.
  const notModified = checkPreconditions(request, { etag: etagOf(note) });
  if (notModified !== null) return notModified;
  return new JSONResponse(note, { headers: { etag: etagOf(note) } });
});

app.put('/notes/{id}', async (request) => {
  const note = noteFor(request);
  // A 412 when If-Match names an older version: someone saved in between.
  checkPreconditions(request, { etag: etagOf(note) });
  const { text } = (await request.json()) as { text: string };
  const saved = { text, version: note.version + 1 };
  notes.set(String(request.pathParams.id), saved);
  return new JSONResponse(saved, { headers: { etag: etagOf(saved) } });
});
