import { Application, HTMLResponse, Middleware, SecurityHeadersMiddleware } from 'stackware';

export const app = new Application();

app.addMiddleware(SecurityHeadersMiddleware, {
  contentSecurityPolicy: {
    directives: {
      scriptSrc: ["'self'", 'https://cdn.example.com'],
      imgSrc: ["'self'", 'data:', 'https://images.example.com'],
    },
  },
  strictTransportSecurity: { maxAge: 63_072_000, includeSubDomains: true, preload: true },
  referrerPolicy: 'strict-origin-when-cross-origin',
});

app.get('/', () => new HTMLResponse('<h1>Home</h1>'));

// A widget partners embed in their pages: this route's set replaces the application's, whole.
app.get('/widget', () => new HTMLResponse('<p>widget</p>'), {
  middleware: [
    new Middleware(SecurityHeadersMiddleware, {
      xFrameOptions: false,
      contentSecurityPolicy: { directives: { frameAncestors: ['https://partner.example'] } },
    }),
  ],
});
