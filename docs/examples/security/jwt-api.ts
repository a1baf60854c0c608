import { Application, AuthenticationMiddleware, JWTBackend, requires, type Request } from 'stackware';

export const app = new Application();

app.addMiddleware(AuthenticationMiddleware, {
  backend: process.env.JWKS_URL
    ? // Tokens from an identity provider: its keys are fetched on the first token, then cached.
      new JWTBackend({ jwksUrl: process.env.JWKS_URL, algorithms: ['RS256'], issuer: process.env.JWT_ISSUER, audience: 'orders-api' })
    : // Tokens this service signs itself with a shared secret.
      new JWTBackend({ secret: process.env.JWT_SECRET ?? '', algorithms: ['HS256'], audience: 'orders-api', clockTolerance: 5, realm: 'orders' }),
});

app.get('/health', () => ({ ok: true }));

app.get(
  '/orders',
  requires('orders:read', (request: Request) => ({ user: request.user.identity, orders: [] })),
);

app.post(
  '/orders',
  requires(['orders:read', 'orders:write'], (request: Request) => ({ created: true, by: request.user.displayName })),
  { statusCode: 201 },
);
