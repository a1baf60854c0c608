import express from 'express';

/** The Express application being moved: its routes, its error handler, its 404. */
export function createLegacyApp(): express.Express {
  const legacy = express();
  legacy.use(express.json());
  legacy.get('/users/:id', (req, res) => {
    res.json({ id: Number(req.params.id), from: 'express' });
  });
  legacy.post('/orders', (req, res) => {
    res.status(201).json({ ordered: req.body as unknown, from: 'express' });
  });
  legacy.get('/reports/:year', (req, res, next) => {
    if (!/^\d{4}$/.test(req.params.year)) return next(new Error('bad year'));
    res.json({ year: req.params.year });
  });
  legacy.use((_req, res) => {
    res.status(404).json({ error: 'no such page' });
  });
  legacy.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: error.message });
  });
  return legacy;
}
