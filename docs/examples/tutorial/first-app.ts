import { Application } from 'stackware';

export const app = new Application();

app.get('/', () => ({ message: 'Hello World' }));
