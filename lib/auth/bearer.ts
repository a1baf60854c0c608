import type { Request } from '../requests';
import { AuthCredentials, InvalidCredentials, type AuthenticationBackend, type BaseUser } from '../middleware/authentication';
import type { Challenge } from './slot';
import { authorization, quoted } from './credentials';

/** A user with the scopes it is granted besides `authenticated`. */
export interface UserWithScopes<User extends BaseUser> {
  /** The user. */
  readonly user: User;
  /** Its scopes, besides `authenticated`. */
  readonly scopes?: readonly string[];
}

/** What a credential check gives: the user (granted the scope `authenticated`), or the user and more scopes. */
export type VerifiedUser<User extends BaseUser> = User | UserWithScopes<User>;

/** Options of {@link BearerTokenBackend}. */
export interface BearerOptions {
  /** The `realm` of the challenge. Default: none. */
  realm?: string;
}

// RFC 6750 section 2.1: b64token.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** @internal The RFC 6750 challenge of a bearer backend. */
export function bearerChallenge(realm: string | undefined, failure: InvalidCredentials | undefined): Challenge {
  const params = realm === undefined ? [] : [`realm=${quoted(realm)}`];
  const header = (more: string[]): string => ['Bearer', [...params, ...more].join(', ')].filter(Boolean).join(' ');
  const error = failure instanceof InvalidRequest ? 'invalid_request' : 'invalid_token';
  return {
    // Without any credentials the challenge carries no error code (RFC 6750 section 3.1).
    wwwAuthenticate: failure === undefined ? header([]) : header([`error="${error}"`, `error_description=${quoted(failure.message)}`]),
    statusCode: failure instanceof InvalidRequest ? 400 : 401,
    insufficientScope: (scopes) => header(['error="insufficient_scope"', `scope=${quoted(scopes.join(' '))}`]),
  };
}

/** A malformed `Authorization: Bearer` header: 400 with `error="invalid_request"` (RFC 6750 section 3.1). */
export class InvalidRequest extends InvalidCredentials {}

/** @internal The bearer token of a request: null without one, InvalidRequest for a malformed one. */
export function bearerToken(request: Request): string | null {
  const header = authorization(request);
  if (header === null || header.scheme !== 'bearer') return null;
  if (!B64TOKEN.test(header.value)) throw new InvalidRequest('Malformed bearer token');
  return header.value;
}

/** @internal The credentials and user a check gave. */
export function granted<User extends BaseUser>(verified: VerifiedUser<User>): readonly [AuthCredentials, User] {
  if ('isAuthenticated' in verified) return [new AuthCredentials(['authenticated']), verified];
  return [new AuthCredentials(['authenticated', ...(verified.scopes ?? [])]), verified.user];
}

/**
 * Authenticates `Authorization: Bearer <token>` with `verify`, which gives the token's user, or
 * null for a token it does not accept (Hono's bearer-auth, Starlette's backend interface). A
 * request without a token is unauthenticated; a route that `requires('authenticated')` then
 * answers 401 with `WWW-Authenticate: Bearer`, and with `error="invalid_token"` for a refused
 * token (RFC 6750). Missing scopes give 403 with `error="insufficient_scope"`.
 *
 * @example
 * ```ts
 * app.addMiddleware(AuthenticationMiddleware, {
 *   backend: new BearerTokenBackend((token) => (tokens.get(token) ? new SimpleUser(tokens.get(token)!) : null)),
 * });
 * ```
 */
export class BearerTokenBackend<User extends BaseUser = BaseUser> implements AuthenticationBackend<User> {
  constructor(
    private readonly verify: (token: string, request: Request) => VerifiedUser<User> | null | Promise<VerifiedUser<User> | null>,
    private readonly options: BearerOptions = {},
  ) {
    if (typeof verify !== 'function') throw new TypeError('BearerTokenBackend(verify) needs a function (token, request) => user | null');
  }

  async authenticate(request: Request): Promise<readonly [AuthCredentials, User] | null> {
    const token = bearerToken(request);
    if (token === null) return null;
    const verified = await this.verify(token, request);
    if (verified === null || verified === undefined) throw new InvalidCredentials('The access token is not valid');
    return granted(verified);
  }

  challenge(failure: InvalidCredentials | undefined): Challenge {
    return bearerChallenge(this.options.realm, failure);
  }
}
