import { Application, TrustedHostMiddleware } from 'stackware';

export const app = new Application();

app.addMiddleware(TrustedHostMiddleware, { allowedHosts: ['example.com', '*.example.com'] });

app.get('/', () => ({ message: 'Hello World' }));
