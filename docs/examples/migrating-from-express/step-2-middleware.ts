import session from 'express-session';
import helmet from 'helmet';
import morgan from 'morgan';
import { Application, connectMiddleware, connectRequest, fromNodeHandler } from 'stackware';
import { createLegacyApp } from './legacy';

export const log: string[] = [];
export const app = new Application();

app.get('/whoami', (request) => {
  const { session: current } = connectRequest<{ session: session.Session & { visits?: number } }>(request);
  current.visits = (current.visits ?? 0) + 1;
  return { visits: current.visits };
});
app.mount('', fromNodeHandler(createLegacyApp()));

// The app-wide middleware leave the Express app and wrap everything, old routes and new.
app.addMiddleware(connectMiddleware(session({ secret: process.env.SESSION_SECRET ?? 'dev only', resave: false, saveUninitialized: false })));
app.addMiddleware(connectMiddleware(morgan('tiny', { stream: { write: (line: string) => void log.push(line.trim()) } })));
app.addMiddleware(connectMiddleware(helmet()));
