// The floor: node:http with nothing in front of the handler; --layers=N sets N headers inline.
import { createServer } from 'node:http';
import { layers, serve } from './harness.mjs';

const n = layers();
serve(
  createServer((req, res) => {
    const body = JSON.stringify({ message: 'hello' });
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', Buffer.byteLength(body));
    for (let i = 0; i < n; i++) res.setHeader('x-mw-' + i, '1');
    res.end(body);
  }),
);
