import { Application, SessionMiddleware } from 'stackware';

export const app = new Application();

app.addMiddleware(SessionMiddleware, {
  secretKey: process.env.SECRET_KEY ?? 'change-me: a long random string from your secrets store',
  maxAge: 60 * 60 * 24, // one day, in seconds
});

app.get('/visits', (request) => {
  const visits = Number(request.session.visits ?? 0) + 1;
  request.session.visits = visits;
  return { visits };
});

app.post('/logout', (request) => {
  delete request.session.visits; // an emptied session clears the cookie
  return { loggedOut: true };
});
