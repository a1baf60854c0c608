import { join } from 'node:path';
import { Application, GZipMiddleware, StaticFiles } from 'stackware';

export const app = new Application();

app.addMiddleware(GZipMiddleware);

// Fingerprinted assets never change under their name: caches may keep them for a year.
app.mount('/assets', new StaticFiles({ directory: join(__dirname, 'public', 'assets'), immutable: true }));

// The site: index.html for a directory, 404.html for what is missing, dotfiles never served.
app.mount('/', new StaticFiles({ directory: join(__dirname, 'public'), html: true }));
