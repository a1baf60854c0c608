import {
  Application,
  AuthCredentials,
  AuthenticationMiddleware,
  CSRFMiddleware,
  csrfToken,
  HTMLResponse,
  RedirectResponse,
  requires,
  SecurityHeadersMiddleware,
  SessionMiddleware,
  SimpleUser,
  safeEqual,
  type AuthenticationBackend,
  type Request,
} from 'stackware';

const secret = process.env.SESSION_SECRET ?? '';

/** The user is whoever logged in: the session says so. */
const sessionBackend: AuthenticationBackend = {
  async authenticate(request) {
    const username = request.session.username;
    if (typeof username !== 'string') return null;
    return [new AuthCredentials(['authenticated']), new SimpleUser(username)];
  },
};

export const app = new Application();
// The last added is the outermost: headers go on every answer, CSRF refusals included; the
// session is loaded before the backend reads it.
app.addMiddleware(AuthenticationMiddleware, { backend: sessionBackend });
app.addMiddleware(SessionMiddleware, { secretKey: secret, httpsOnly: process.env.NODE_ENV === 'production' });
app.addMiddleware(CSRFMiddleware, { token: { secret } });
app.addMiddleware(SecurityHeadersMiddleware, { cspNonce: true });

const page = (request: Request, body: string) =>
  new HTMLResponse(`<!doctype html>${body}<script nonce="${request.cspNonce}">document.body.dataset.ready = 'yes';</script>`);

app.get('/login', (request) =>
  page(
    request,
    `<form method="post" action="/login">
      <input type="hidden" name="csrftoken" value="${csrfToken(request)}">
      <input name="username"><input name="password" type="password"><button>Log in</button>
    </form>`,
  ),
  { name: 'login' },
);

app.post('/login', async (request) => {
  const form = await request.form();
  const password = String(form.get('password') ?? '');
  if (form.get('username') !== 'ada' || !safeEqual(password, process.env.ADA_PASSWORD ?? '')) {
    return new HTMLResponse('<p>Wrong username or password</p>', { statusCode: 401 });
  }
  request.session.username = 'ada';
  return new RedirectResponse('/account', 303);
});

// Not logged in: sent to /login?next=<this URL>.
app.get(
  '/account',
  requires('authenticated', (request: Request) => page(request, `<h1>Hello ${request.user.displayName}</h1>`), { redirect: 'login' }),
);
