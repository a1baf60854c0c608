import { Application, PlainTextResponse } from 'stackware';

/** A stand-in for an error tracker's client (Sentry, Rollbar, ...). */
export const reported: string[] = [];

export const app = new Application({ logger: { error: () => undefined } });

// One place for every server error: those that become a 500, and those raised once the response
// was sent (a background task, dependency exit code), whose answer is discarded.
app.exceptionHandler(500, (request, error) => {
  reported.push(`${request.method} ${request.url.pathname}: ${error.message}`);
  return new PlainTextResponse('Internal Server Error', { statusCode: 500 });
});

app.post('/signup', (request) => {
  request.backgroundTasks.addTask(() => {
    throw new Error('mail server down');
  });
  return { created: true };
});

app.get('/broken', () => {
  throw new Error('a bug');
});
