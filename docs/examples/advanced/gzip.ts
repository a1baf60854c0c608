import { Application, GZipMiddleware, PlainTextResponse } from 'stackware';

export const app = new Application();

app.addMiddleware(GZipMiddleware, { minimumSize: 1000, compressLevel: 5 });

app.get('/', () => new PlainTextResponse('somebigcontent'.repeat(100)));
