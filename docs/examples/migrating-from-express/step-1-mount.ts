import { Application, CORSMiddleware, RequestIdMiddleware, fromNodeHandler } from 'stackware';
import { createLegacyApp } from './legacy';

export const app = new Application();

// New routes go first: the router tries routes in the order they were added.
app.get('/health', () => ({ ok: true }));

// Everything else is still the Express app, with its own 404 and error handler.
app.mount('', fromNodeHandler(createLegacyApp()));

// stackware middleware apply to the Express answers too.
app.addMiddleware(RequestIdMiddleware);
app.addMiddleware(CORSMiddleware, { allowOrigins: ['https://shop.example'] });
