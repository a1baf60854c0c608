import { timingSafeEqual } from 'node:crypto';
import type { Request } from '../requests';
import { AuthCredentials, InvalidCredentials, type AuthenticationBackend, type BaseUser } from '../middleware/authentication';
import type { Challenge } from './slot';
import { authorization, quoted } from './credentials';
import { granted, type VerifiedUser } from './bearer';

/** Options of {@link BasicAuthBackend}. */
export interface BasicAuthOptions {
  /** The `realm` of the challenge (what the browser's password prompt shows). Default `stackware`. */
  realm?: string;
}

/**
 * Authenticates `Authorization: Basic` (RFC 7617) with `verify(username, password, request)`,
 * which gives the user or null for wrong credentials. A route that `requires('authenticated')`
 * answers a request without credentials, or with wrong or malformed ones, 401 with
 * `WWW-Authenticate: Basic realm="…", charset="UTF-8"`. Compare passwords with {@link safeEqual}.
 */
export class BasicAuthBackend<User extends BaseUser = BaseUser> implements AuthenticationBackend<User> {
  constructor(
    private readonly verify: (username: string, password: string, request: Request) => VerifiedUser<User> | null | Promise<VerifiedUser<User> | null>,
    private readonly options: BasicAuthOptions = {},
  ) {
    if (typeof verify !== 'function') throw new TypeError('BasicAuthBackend(verify) needs a function (username, password, request) => user | null');
  }

  async authenticate(request: Request): Promise<readonly [AuthCredentials, User] | null> {
    const header = authorization(request);
    if (header === null || header.scheme !== 'basic') return null;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(header.value)) throw new InvalidCredentials('Malformed basic credentials');
    const decoded = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.from(header.value, 'base64'));
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new InvalidCredentials('Malformed basic credentials');
    const verified = await this.verify(decoded.slice(0, colon), decoded.slice(colon + 1), request);
    if (verified === null || verified === undefined) throw new InvalidCredentials('Invalid username or password');
    return granted(verified);
  }

  challenge(): Challenge {
    const wwwAuthenticate = `Basic realm=${quoted(this.options.realm ?? 'stackware')}, charset="UTF-8"`;
    return { wwwAuthenticate };
  }
}

/** Compares two strings in time that depends on their lengths only, for passwords and tokens. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
