import { createPublicKey, type JsonWebKey, type KeyObject, type webcrypto } from 'node:crypto';
import type { JWTVerifyGetKey } from 'jose';
import type { Request } from '../requests';
import { AuthCredentials, InvalidCredentials, type AuthenticationBackend, type BaseUser } from '../middleware/authentication';
import type { Challenge } from './slot';
import { bearerChallenge, bearerToken } from './bearer';
import { loadJose, type JoseModule } from './jose';

/**
 * The claims of a verified token (jose's `JWTPayload`, declared here so that stackware's published
 * types do not need jose installed: it is an optional peer).
 */
export interface JWTPayload {
  /** Issuer. */
  iss?: string;
  /** Subject. */
  sub?: string;
  /** Audience. */
  aud?: string | string[];
  /** Token id. */
  jti?: string;
  /** Not before (seconds since the epoch). */
  nbf?: number;
  /** Expiry (seconds since the epoch). */
  exp?: number;
  /** Issued at (seconds since the epoch). */
  iat?: number;
  /** Any other claim. */
  [claim: string]: unknown;
}

/** Algorithms for a shared secret. */
export type HMACAlgorithm = 'HS256' | 'HS384' | 'HS512';
/** Algorithms for a public key or a JWKS. */
export type PublicKeyAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519';

/** What every {@link JWTBackend} takes besides its key. */
export interface JWTCommonOptions<User extends BaseUser> {
  /** Accepted `iss`; a token with another issuer is refused. */
  issuer?: string | readonly string[];
  /** Accepted `aud`; a token for another audience is refused. */
  audience?: string | readonly string[];
  /** Seconds of clock skew tolerated on `exp` and `nbf`. Default 0. */
  clockTolerance?: number;
  /** Claims a token must carry, besides those checked above (e.g. `['exp', 'sub']`). Default `['exp']`. */
  requiredClaims?: readonly string[];
  /** The user of a verified token. Default a {@link JWTUser}. */
  user?: (payload: JWTPayload, request: Request) => User | Promise<User>;
  /** The scopes of a verified token, besides `authenticated`. Default: the `scope` (space-separated) or `scp` claim. */
  scopes?: (payload: JWTPayload) => readonly string[];
  /** Also read the token from this cookie when there is no `Authorization` header. */
  cookie?: string;
  /** The `realm` of the `WWW-Authenticate` challenge. */
  realm?: string;
}

/** {@link JWTBackend} with a shared secret. */
export interface JWTSecretOptions<User extends BaseUser> extends JWTCommonOptions<User> {
  /** The shared secret, at least 32 bytes. */
  secret: string | Uint8Array;
  /** The accepted algorithms, an explicit allow-list. */
  algorithms: readonly HMACAlgorithm[];
  /** Not with a secret. */
  publicKey?: never;
  /** Not with a secret. */
  jwksUrl?: never;
}

/** {@link JWTBackend} with a public key. */
export interface JWTPublicKeyOptions<User extends BaseUser> extends JWTCommonOptions<User> {
  /** The public key: PEM (SPKI), a JWK or a `KeyObject`. */
  publicKey: string | JsonWebKey | KeyObject;
  /** The accepted algorithms, an explicit allow-list. */
  algorithms: readonly PublicKeyAlgorithm[];
  /** Not with a public key. */
  secret?: never;
  /** Not with a public key. */
  jwksUrl?: never;
}

/** {@link JWTBackend} with a JSON Web Key Set fetched from a URL. */
export interface JWKSOptions<User extends BaseUser> extends JWTCommonOptions<User> {
  /** Where the key set is served; fetched on the first token, then cached. */
  jwksUrl: string | URL;
  /** The accepted algorithms, an explicit allow-list. */
  algorithms: readonly PublicKeyAlgorithm[];
  /** Milliseconds before a token with an unknown `kid` may refetch the set again. Default 30 000. */
  jwksCooldown?: number;
  /** Milliseconds the set is kept before it is refetched. Default 600 000. */
  jwksMaxAge?: number;
  /** Milliseconds a fetch of the set may take. Default 5 000. */
  jwksTimeout?: number;
  /** Not with a JWKS. */
  secret?: never;
  /** Not with a JWKS. */
  publicKey?: never;
}

/** Options of {@link JWTBackend}: exactly one of `secret`, `publicKey`, `jwksUrl`, and the algorithms allowed with it. */
export type JWTOptions<User extends BaseUser = BaseUser> = JWTSecretOptions<User> | JWTPublicKeyOptions<User> | JWKSOptions<User>;

/** The user of a verified token: its `sub` is the identity. */
export class JWTUser implements BaseUser {
  /** Always true. */
  readonly isAuthenticated = true;
  constructor(
    /** The verified claims. */
    readonly payload: JWTPayload,
  ) {}
  /** The `sub` claim, or '' without one. */
  get identity(): string {
    return this.payload.sub ?? '';
  }
  /** The `name` or `preferred_username` claim, else the `sub`. */
  get displayName(): string {
    const { name, preferred_username: username } = this.payload;
    return typeof name === 'string' ? name : typeof username === 'string' ? username : this.identity;
  }
}

const HMAC = new Set<string>(['HS256', 'HS384', 'HS512']);
const PUBLIC = new Set<string>(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

type Key = Uint8Array | KeyObject | JWTVerifyGetKey;

/**
 * Authenticates a JSON Web Token (`Authorization: Bearer`, or a cookie) with
 * [jose](https://github.com/panva/jose), an optional peer loaded on the first token. The key is a
 * shared `secret` (HS256/384/512), a `publicKey` or a `jwksUrl`; `algorithms` is the explicit
 * allow-list, checked against the key (no `none`, no HMAC with a public key). A JWKS is fetched
 * on the first token, cached, and refetched for an unknown `kid` at most once per `jwksCooldown`.
 * A bad, expired or foreign token leaves the request unauthenticated; a route that requires
 * authentication answers it 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750).
 */
export class JWTBackend<User extends BaseUser = JWTUser> implements AuthenticationBackend<User> {
  private key: Key | undefined;
  private readonly options: JWTOptions<User>;

  constructor(options: JWTOptions<User>) {
    this.options = options;
    const kinds = [options.secret, options.publicKey, options.jwksUrl].filter((k) => k !== undefined).length;
    if (kinds !== 1) throw new TypeError('JWTBackend needs exactly one of secret, publicKey or jwksUrl');
    const algorithms: readonly string[] = options.algorithms ?? [];
    if (!Array.isArray(algorithms) || algorithms.length === 0) throw new TypeError('JWTBackend needs algorithms, the explicit list of accepted JWS algorithms');
    const allowed = options.secret !== undefined ? HMAC : PUBLIC;
    for (const alg of algorithms) {
      if (!allowed.has(alg)) {
        const kind = options.secret !== undefined ? 'a secret takes HS256, HS384 or HS512' : 'a public key or JWKS takes RS*, PS*, ES* or EdDSA';
        throw new TypeError(`JWTBackend: algorithm ${JSON.stringify(alg)} is not allowed here (${kind}; never "none")`);
      }
    }
    if (options.secret !== undefined) {
      const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
      if (secret.byteLength < 32) throw new TypeError(`JWTBackend's secret is ${secret.byteLength} bytes long: use at least 32 random bytes`);
      this.key = hmacKeys(secret);
    } else if (options.publicKey !== undefined) {
      this.key = publicKeyOf(options.publicKey);
    }
  }

  async authenticate(request: Request): Promise<readonly [AuthCredentials, User] | null> {
    const token = bearerToken(request) ?? (this.options.cookie !== undefined ? (request.cookies[this.options.cookie] ?? null) : null);
    if (token === null || token === '') return null;
    const payload = await this.verify(token);
    const user = this.options.user ? await this.options.user(payload, request) : (new JWTUser(payload) as unknown as User);
    const scopes = this.options.scopes ? this.options.scopes(payload) : scopesOf(payload);
    return [new AuthCredentials(['authenticated', ...scopes]), user];
  }

  challenge(failure: InvalidCredentials | undefined): Challenge {
    return bearerChallenge(this.options.realm, failure);
  }

  /** The verified claims of `token`; throws {@link InvalidCredentials} for a token that does not verify. */
  async verify(token: string): Promise<JWTPayload> {
    const jose = await loadJose();
    const options = this.options;
    if (this.key === undefined && options.jwksUrl !== undefined) {
      this.key = jose.createRemoteJWKSet(new URL(options.jwksUrl), {
        cooldownDuration: options.jwksCooldown ?? 30_000,
        cacheMaxAge: options.jwksMaxAge ?? 600_000,
        timeoutDuration: options.jwksTimeout ?? 5_000,
      });
    }
    try {
      const { payload } = await jose.jwtVerify(token, this.key as JWTVerifyGetKey, {
        algorithms: [...options.algorithms],
        issuer: options.issuer as string | string[] | undefined,
        audience: options.audience as string | string[] | undefined,
        clockTolerance: options.clockTolerance ?? 0,
        requiredClaims: [...(options.requiredClaims ?? ['exp'])],
      });
      return payload;
    } catch (error) {
      throw invalid(error, jose);
    }
  }
}

/**
 * The secret as a Web Crypto key per algorithm, imported once: jose imports raw bytes again on
 * every token, which costs more than the HMAC itself.
 */
function hmacKeys(secret: Uint8Array): JWTVerifyGetKey {
  const keys = new Map<string, Promise<webcrypto.CryptoKey>>();
  const bytes = new Uint8Array(secret);
  return ({ alg }) => {
    let key = keys.get(alg);
    if (key === undefined) {
      const hash = `SHA-${alg.slice(2)}`;
      key = globalThis.crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash }, false, ['verify']);
      keys.set(alg, key);
    }
    return key;
  };
}

function publicKeyOf(key: string | JsonWebKey | KeyObject): KeyObject {
  if (typeof key === 'string') return createPublicKey(key);
  if ('type' in key && (key.type === 'public' || key.type === 'private' || key.type === 'secret')) {
    const object = key as KeyObject;
    if (object.type === 'secret') throw new TypeError('JWTBackend: publicKey is a secret key; pass it as secret');
    return object.type === 'private' ? createPublicKey(object) : object;
  }
  return createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
}

function scopesOf(payload: JWTPayload): string[] {
  const { scope, scp } = payload;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  return [];
}

function invalid(error: unknown, jose: JoseModule): unknown {
  const { errors } = jose;
  if (error instanceof errors.JWTExpired) return new InvalidCredentials('The token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidCredentials(error.reason === 'missing' ? `The token has no ${error.claim} claim` : `The token's ${error.claim} claim is not valid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidCredentials("The token's algorithm is not allowed");
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidCredentials('The token was not signed by a known key');
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return error;
  if (error instanceof errors.JOSEError) return new InvalidCredentials('The token is not valid');
  return error;
}
