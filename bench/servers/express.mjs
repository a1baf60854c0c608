// Express 5, default settings: N middleware functions, each setting one header before next().
import { createServer } from 'node:http';
import express from 'express';
import { layers, serve } from './harness.mjs';

const n = layers();
const app = express();
for (let i = 0; i < n; i++) {
  app.use((req, res, next) => {
    res.setHeader('x-mw-' + i, '1');
    next();
  });
}
app.get('/', (req, res) => {
  res.json({ message: 'hello' });
});

serve(createServer(app));
