// Compile-time checks of the typed user, run by `tsc --noEmit` in `npm test`: the line after each
// expect-error directive must fail to compile.
import { Application, AuthenticationMiddleware, JWTBackend, JWTUser, SimpleUser, type Authenticated, type BaseUser } from 'stackware';

class ApiUser implements BaseUser {
  readonly isAuthenticated = true;
  constructor(
    readonly identity: string,
    readonly tenant: string,
  ) {}
  get displayName(): string {
    return this.identity;
  }
}

const app = new Application<Authenticated<ApiUser> & { requestId?: string }>();
app.addMiddleware(AuthenticationMiddleware, {
  backend: new JWTBackend({ secret: 'x'.repeat(32), algorithms: ['HS256'], user: (payload) => new ApiUser(payload.sub ?? '', String(payload.tenant)) }),
});
app.get('/', (request) => {
  const tenant: string = request.user.tenant;
  // @ts-expect-error the user type the application declared has no such member
  void request.user.role;
  return tenant;
});

// Without a declaration, request.user is a BaseUser.
const plain = new Application();
plain.get('/', (request) => {
  const user: BaseUser = request.user;
  // @ts-expect-error BaseUser has no tenant
  void request.user.tenant;
  return user.displayName;
});

// @ts-expect-error a JWT secret takes HMAC algorithms only (no HS/RS confusion)
new JWTBackend({ secret: 'x'.repeat(32), algorithms: ['RS256'] });
// @ts-expect-error a public key takes no HMAC algorithm
new JWTBackend({ publicKey: '-----BEGIN PUBLIC KEY-----', algorithms: ['HS256'] });
// @ts-expect-error exactly one key
new JWTBackend({ secret: 'x'.repeat(32), jwksUrl: 'https://example.com/jwks.json', algorithms: ['HS256'] });
export const jwks: JWTBackend<JWTUser> = new JWTBackend({ jwksUrl: 'https://example.com/jwks.json', algorithms: ['RS256'] });
void SimpleUser;
