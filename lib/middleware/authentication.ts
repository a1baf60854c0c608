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

/** Starlette's `AuthenticationBackend`: credentials and user of a request, or null when it carries none. */
export interface AuthenticationBackend {
  /** The credentials and user of `request`; null when it carries no credentials this backend reads. */
  authenticate(request: Request): Promise<readonly [AuthCredentials, BaseUser] | null>;
}

/** Options of {@link AuthenticationMiddleware}. */
export interface AuthenticationOptions {
  /** What reads the credentials of each request. */
  backend: AuthenticationBackend;
  /** The answer to an {@link AuthenticationError}; default `400` with the error's message (Starlette's). */
  onError?: (request: Request, error: AuthenticationError) => Response | Promise<Response>;
}

const AUTH = Symbol('stackware.auth');
interface AuthSlot {
  [AUTH]?: readonly [AuthCredentials, BaseUser];
}

/** The user {@link AuthenticationMiddleware} set on `request` (Starlette's `request.user`). */
export function requestUser(request: Request): BaseUser {
  const slot = (request as unknown as AuthSlot)[AUTH];
  if (slot === undefined) throw new Error('AuthenticationMiddleware must be installed to access request.user');
  return slot[1];
}

/** The credentials {@link AuthenticationMiddleware} set on `request` (Starlette's `request.auth`). */
export function requestAuth(request: Request): AuthCredentials {
  const slot = (request as unknown as AuthSlot)[AUTH];
  if (slot === undefined) throw new Error('AuthenticationMiddleware must be installed to access request.auth');
  return slot[0];
}

/**
 * Starlette's `AuthenticationMiddleware`: asks `backend` for the request's credentials and user
 * (unauthenticated when it returns null); a thrown {@link AuthenticationError} is answered by `onError`.
 */
export class AuthenticationMiddleware extends BaseHTTPMiddleware<AuthenticationOptions> {
  constructor(app: HTTPApp, options: AuthenticationOptions) {
    super(app, options);
  }

  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    let result: readonly [AuthCredentials, BaseUser] | null;
    try {
      result = await this.options.backend.authenticate(request);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      if (this.options.onError) return this.options.onError(request, error);
      return new PlainTextResponse(error.message, { statusCode: 400 });
    }
    (request as unknown as AuthSlot)[AUTH] = result ?? [new AuthCredentials(), new UnauthenticatedUser()];
    return callNext(request);
  }
}

/** Whether the request was granted every one of `scopes` (Starlette's `has_required_scope`). */
export function hasRequiredScope(request: Request, scopes: readonly string[]): boolean {
  const granted = requestAuth(request).scopes;
  return scopes.every((scope) => granted.includes(scope));
}

/** What {@link requires} needs of a websocket handler's argument (a `WebSocket`). */
export interface GuardedWebSocket {
  /** The handshake request. */
  readonly request: Request;
  /** Accepts the handshake. */
  accept(options?: object): Promise<void>;
  /** Closes (before `accept()`: refuses with a 403). */
  close(code?: number, reason?: string): Promise<void>;
}

function isGuardedWebSocket(arg: Request | GuardedWebSocket): arg is GuardedWebSocket {
  return typeof (arg as Partial<GuardedWebSocket>).accept === 'function' && (arg as Partial<GuardedWebSocket>).request !== undefined;
}

/**
 * Starlette's `requires`: wraps an endpoint so a request without every one of `scopes` is answered
 * `statusCode` (default 403) instead of reaching it. Wrapping a websocket handler, a handshake
 * without them is closed before `accept()` (the client gets an HTTP 403); annotate the handler's
 * parameter (`async (ws: WebSocket) => ...`) so that this form is chosen.
 */
export function requires<R extends Request, T>(
  scopes: string | readonly string[],
  endpoint: (request: R) => T,
  options?: { statusCode?: number },
): (request: R) => T | Response;
export function requires<W extends GuardedWebSocket>(
  scopes: string | readonly string[],
  handler: (websocket: W) => Promise<void> | void,
): (websocket: W) => Promise<void>;
export function requires(
  scopes: string | readonly string[],
  endpoint: (arg: Request | GuardedWebSocket) => unknown,
  options: { statusCode?: number } = {},
): (arg: Request | GuardedWebSocket) => unknown {
  const needed = typeof scopes === 'string' ? [scopes] : [...scopes];
  const statusCode = options.statusCode ?? 403;
  return (arg) => {
    if (isGuardedWebSocket(arg)) {
      return hasRequiredScope(arg.request, needed) ? Promise.resolve(endpoint(arg)).then(() => undefined) : arg.close();
    }
    if (!hasRequiredScope(arg, needed)) return new PlainTextResponse('Forbidden', { statusCode });
    return endpoint(arg);
  };
}
