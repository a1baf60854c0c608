import { Application } from 'stackware';
import { ProcessTimeHeaderMiddleware } from './middleware';

export const app = new Application();

app.addMiddleware(ProcessTimeHeaderMiddleware);

app.get('/', () => ({ message: 'Hello World' }));
