import { Application, CORSMiddleware, CSRFMiddleware } from 'stackware';

// The single-page app lives on its own origin and calls this API with the session cookie.
const frontends = ['https://app.example.com'];

export const app = new Application();
app.addMiddleware(CSRFMiddleware, { allowedOrigins: frontends, allowWithoutCookies: true });
app.addMiddleware(CORSMiddleware, { allowOrigins: frontends, allowCredentials: true, allowMethods: ['GET', 'POST', 'DELETE'] });

app.post('/cart/items', () => ({ added: true }));
