import { Application, CORSMiddleware } from 'stackware';

export const app = new Application();

const origins = ['http://localhost.tiangolo.com', 'https://localhost.tiangolo.com', 'http://localhost', 'http://localhost:8080'];

app.addMiddleware(CORSMiddleware, {
  allowOrigins: origins,
  allowCredentials: true,
  allowMethods: ['*'],
  allowHeaders: ['*'],
});

app.get('/', () => ({ message: 'Hello World' }));
