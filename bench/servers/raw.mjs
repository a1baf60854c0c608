// The floor: node:http with nothing in front of the handler. --layers=N sets N more headers
// inline; --body=bytes sends the body as a Uint8Array from TextEncoder (as stackware stores a
// body) instead of a string, to show what that alone costs node:http.
import { createServer } from 'node:http';
import { layers, option, serve } from './harness.mjs';

const n = layers();
const bytes = option('body', 'string') === 'bytes';
const encoder = new TextEncoder();
serve(
  createServer((req, res) => {
    const text = JSON.stringify({ message: 'hello' });
    const body = bytes ? encoder.encode(text) : text;
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', bytes ? body.byteLength : Buffer.byteLength(text));
    for (let i = 0; i < n; i++) res.setHeader('x-mw-' + i, '1');
    res.end(body);
  }),
);
