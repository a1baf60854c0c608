import { Application, GZipMiddleware, Middleware, TrustedHostMiddleware } from 'stackware';

// Starlette's `Starlette(middleware=[Middleware(...), ...])`: the first in the list is the outermost.
export const app = new Application({
  middleware: [
    new Middleware(TrustedHostMiddleware, { allowedHosts: ['example.com', '*.example.com'] }),
    new Middleware(GZipMiddleware, { minimumSize: 1000 }),
  ],
});

app.get('/', () => ({ message: 'Hello World' }));
