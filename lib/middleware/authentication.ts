import { setAuth, type Challenge } from '../auth/slot';
import type { Request } from '../requests';
import { PlainTextResponse, type Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';

/** Starlette's `BaseUser`: who the request is from. */
export interface BaseUser {
  /** True for a user a backend recognised. */
  readonly isAuthenticated: boolean;
  /** The name to show for the user. */
  readonly displayName: string;
  /** What identifies the user. */
  readonly identity: string;
}

/** Starlette's `SimpleUser`: an authenticated user known by name. */
export class SimpleUser implements BaseUser {
  /** Always true. */
  readonly isAuthenticated = true;
  /** The user name. */
  readonly identity: string;
  /** @param username - the user name, also its display name and identity. */
  constructor(
    /** The user name. */
    readonly username: string,
  ) {
    this.identity = username;
  }
  /** The user name. */
  get displayName(): string {
    return this.username;
  }
}

/** Starlette's `UnauthenticatedUser`: the user of a request no backend recognised. */
export class UnauthenticatedUser implements BaseUser {
  /** Always false. */
  readonly isAuthenticated = false;
  /** Empty. */
  readonly displayName = '';
  /** Empty. */
  readonly identity = '';
}

/** Starlette's `AuthCredentials`: the scopes the request was granted. */
export class AuthCredentials {
  /** The granted scopes. */
  readonly scopes: readonly string[];
  constructor(scopes: readonly string[] = []) {
    this.scopes = [...scopes];
  }
}

/** Starlette's `AuthenticationError`: a backend throws it for credentials that are present but bad. */
export class AuthenticationError extends Error {}

/**
 * A bad credential (a wrong password, an expired or forged token) found by a backend that
 * challenges: the request goes on unauthenticated, and a route that requires authentication
 * answers 401 with the backend's `WWW-Authenticate` challenge naming what was wrong.
 */
export class InvalidCredentials extends AuthenticationError {}

/** Starlette's `AuthenticationBackend`: credentials and user of a request, or null when it carries none. */
export interface AuthenticationBackend<User extends BaseUser = BaseUser> {
  /** The credentials and user of `request`; null when it carries no credentials this backend reads. */
  authenticate(request: Request): Promise<readonly [AuthCredentials, User] | null>;
  /**
   * How to ask for credentials (the `WWW-Authenticate` challenge) when a request had none, or bad
   * ones (`failure`, an {@link InvalidCredentials} the backend threw). A backend with it makes
   * `requires` answer 401 rather than 403 to an unauthenticated request.
   */
  challenge?(failure: InvalidCredentials | undefined): Challenge;
}

/** Options of {@link AuthenticationMiddleware}. */
export interface AuthenticationOptions<User extends BaseUser = BaseUser> {
  /** What reads the credentials of each request. */
  backend: AuthenticationBackend<User>;
  /** The answer to an {@link AuthenticationError}; default `400` with the error's message (Starlette's). */
  onError?: (request: Request, error: AuthenticationError) => Response | Promise<Response>;
}

/** The user {@link AuthenticationMiddleware} set on `request`: what `request.user` gives. */
export function requestUser(request: Request): BaseUser {
  return request.user;
}

/** The credentials {@link AuthenticationMiddleware} set on `request`: what `request.auth` gives. */
export function requestAuth(request: Request): AuthCredentials {
  return request.auth;
}

/**
 * Starlette's `AuthenticationMiddleware`: asks `backend` for the request's credentials and user
 * (unauthenticated when it returns null), which `request.user` and `request.auth` then give; a
 * thrown {@link AuthenticationError} is answered by `onError`, except an {@link InvalidCredentials}
 * from a backend that challenges, which leaves the request unauthenticated with that challenge.
 */
export class AuthenticationMiddleware<User extends BaseUser = BaseUser> extends BaseHTTPMiddleware<AuthenticationOptions<User>> {
  constructor(app: HTTPApp, options: AuthenticationOptions<User>) {
    super(app, options);
  }

  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const backend = this.options.backend;
    let result: readonly [AuthCredentials, BaseUser] | null;
    let failure: InvalidCredentials | undefined;
    try {
      result = await backend.authenticate(request);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      if (!(error instanceof InvalidCredentials && backend.challenge)) {
        if (this.options.onError) return this.options.onError(request, error);
        return new PlainTextResponse(error.message, { statusCode: 400 });
      }
      result = null;
      failure = error;
    }
    const [credentials, user] = result ?? [new AuthCredentials(), new UnauthenticatedUser()];
    setAuth(request, { credentials, user, challenge: backend.challenge?.(failure) });
    return callNext(request);
  }
}

/** Whether the request was granted every one of `scopes` (Starlette's `has_required_scope`). */
export function hasRequiredScope(request: Request, scopes: readonly string[]): boolean {
  const granted = request.auth.scopes;
  return scopes.every((scope) => granted.includes(scope));
}
