import { Application, HTTPSRedirectMiddleware } from 'stackware';

export const app = new Application();

app.addMiddleware(HTTPSRedirectMiddleware);

app.get('/', () => ({ message: 'Hello World' }));
