// What AuthenticationMiddleware and SecurityHeadersMiddleware leave on a request, read by
// `request.user`, `request.auth` and `request.cspNonce`. No runtime imports: requests.ts uses it.
import type { AuthCredentials, BaseUser } from '../middleware/authentication';

export type { AuthCredentials };

/** Why a request is unauthenticated and how to ask for credentials, from a backend that challenges. */
export interface Challenge {
  /** The `WWW-Authenticate` value for a 401 (RFC 7235). */
  readonly wwwAuthenticate: string;
  /** The status of the answer: 401 by default; 400 for a malformed request (RFC 6750 `invalid_request`). */
  readonly statusCode?: number;
  /** The `WWW-Authenticate` value for a 403 on missing scopes, if the scheme has one (RFC 6750 `insufficient_scope`). */
  insufficientScope?(scopes: readonly string[]): string;
}

/** @internal What AuthenticationMiddleware set on a request. */
export interface AuthSlot {
  readonly credentials: AuthCredentials;
  readonly user: BaseUser;
  /** Set when the backend challenges: how `requires` answers an unauthenticated request. */
  readonly challenge?: Challenge;
}

declare const AUTHENTICATED: unique symbol;

/**
 * Declares, in an application's `State`, the user type its authentication backend produces, so
 * that `request.user` has that type: `new Application<Authenticated<ApiUser>>()`. A type-level
 * marker only: no such key is ever in `request.state`.
 */
export interface Authenticated<User extends BaseUser> {
  /** Never present at run time. */
  readonly [AUTHENTICATED]?: User;
}

/** The type of `request.user` for a request state `State`: the user {@link Authenticated} declares, else `BaseUser`. */
export type UserOf<State> = State extends Authenticated<infer User> ? (BaseUser extends User ? BaseUser : User) : BaseUser;

const AUTH = Symbol('stackware.auth');
const NONCE = Symbol('stackware.cspNonce');

type Slots = { [AUTH]?: AuthSlot; [NONCE]?: string };

/** @internal Sets what `request.user` and `request.auth` give. */
export function setAuth(request: object, slot: AuthSlot): void {
  (request as Slots)[AUTH] = slot;
}

/** @internal What AuthenticationMiddleware set, or undefined without it. */
export function findAuth(request: object): AuthSlot | undefined {
  return (request as Slots)[AUTH];
}

/** @internal What AuthenticationMiddleware set; throws, naming `property`, when it is not installed. */
export function authOf(request: object, property: string): AuthSlot {
  const slot = (request as Slots)[AUTH];
  if (slot === undefined) throw new Error(`AuthenticationMiddleware must be installed to access request.${property}`);
  return slot;
}

/** @internal Sets `request.cspNonce`. */
export function setCspNonce(request: object, nonce: string): void {
  (request as Slots)[NONCE] = nonce;
}

/** @internal The request's CSP nonce, or undefined. */
export function findCspNonce(request: object): string | undefined {
  return (request as Slots)[NONCE];
}

/** @internal The request's CSP nonce; throws when no SecurityHeadersMiddleware made one. */
export function cspNonceOf(request: object): string {
  const nonce = (request as Slots)[NONCE];
  if (nonce === undefined) throw new Error('SecurityHeadersMiddleware with cspNonce: true must be installed to access request.cspNonce');
  return nonce;
}
