import type { IncomingMessage, ServerResponse } from 'node:http';
import { Application, connectMiddleware, fromNodeHandler, type ConnectNext } from 'stackware';
import { createLegacyApp } from './legacy';

function adminsOnly(req: IncomingMessage, res: ServerResponse, next: ConnectNext): void {
  if (req.headers.authorization === `Bearer ${process.env.ADMIN_TOKEN ?? 'dev-admin'}`) return next();
  res.statusCode = 403;
  res.end('admins only');
}

export const app = new Application();
app.mount('', fromNodeHandler(createLegacyApp()));
// Matched on the decoded, normalized path: /%61dmin, /admin/ and //admin are guarded too.
app.addMiddleware(connectMiddleware(adminsOnly, { path: '/admin' }));
