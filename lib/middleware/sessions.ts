import { TimestampSigner, pythonJSONDumps } from '../itsdangerous';
import type { Headers } from '../headers';
import type { Request } from '../requests';
import type { Response } from '../responses';
import type { Store } from '../stores/store';
import type { HTTPApp } from './base';
import { BuiltinMiddleware, type Exit } from './builtin';
import { StoredSessions } from './session-store';

/** Options of {@link SessionMiddleware} (Starlette's `SessionMiddleware` arguments, camelCased). */
export interface SessionOptions {
  /** The secret the cookie is signed with. Required; keep it secret and long. */
  secretKey: string;
  /** The cookie's name; `session` by default. */
  sessionCookie?: string;
  /**
   * Seconds a session lasts: the cookie's `Max-Age` and the oldest signature accepted. 14 days by
   * default; `null` for a browser-session cookie whose signature never expires.
   */
  maxAge?: number | null;
  /** The cookie's `path`; `/` by default. */
  path?: string;
  /** The cookie's `samesite`; `lax` by default. */
  sameSite?: 'lax' | 'strict' | 'none';
  /** Adds `secure`, so the browser sends the cookie over HTTPS only. False by default. */
  httpsOnly?: boolean;
  /** The cookie's `domain`; none by default (the cookie is for the request's host only). */
  domain?: string;
  /** The current time in milliseconds, as `Date.now` (the default); for tests. */
  clock?: () => number;
  /**
   * Keeps the session data server-side in this store (Redis for sessions shared by many
   * processes); the cookie then carries only a signed random id. Without it (the default) the
   * whole session is in the cookie, Starlette-compatible.
   */
  store?: Store;
}

const DEFAULT_MAX_AGE = 14 * 24 * 60 * 60;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ATTRIBUTE_VALUE = /^[\x20-\x3A\x3C-\x7E]*$/;
const SAME_SITE = new Set(['lax', 'strict', 'none']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}


/** Shorter secret keys get a warning: an HMAC key should have at least as many bytes as SHA-256's output. */
const MIN_SECRET_BYTES = 32;

/**
 * Keeps `request.session` in a signed cookie, as Starlette's `SessionMiddleware` does, and
 * byte-compatible with it: a cookie written by one is read by the other with the same secret.
 *
 * The cookie holds the session as base64 of Python-style JSON, signed with itsdangerous's
 * `TimestampSigner`. Anyone can read it, nobody without the secret can change it. A tampered,
 * expired or malformed cookie gives an empty session, never an error.
 *
 * A request that read `request.session` gets `Vary: Cookie`; the cookie is set only when the
 * session was changed, and cleared when a session that came with the request was emptied.
 *
 * @example
 * ```ts
 * app.addMiddleware(SessionMiddleware, { secretKey: process.env.SESSION_SECRET! });
 * app.get('/count', (request) => {
 *   request.session.count = Number(request.session.count ?? 0) + 1;
 *   return { count: request.session.count };
 * });
 * ```
 */
export class SessionMiddleware extends BuiltinMiddleware<SessionOptions> {
  private readonly signer: TimestampSigner;
  private readonly cookieName: string;
  private readonly maxAge: number | null;
  private readonly path: string;
  private readonly securityFlags: string;
  private readonly clock: () => number;
  private readonly stored: StoredSessions | undefined;

  constructor(app: HTTPApp, options: SessionOptions) {
    super(app, options);
    if (typeof options?.secretKey !== 'string' || options.secretKey === '') {
      throw new TypeError('SessionMiddleware requires a non-empty secretKey');
    }
    if (Buffer.byteLength(options.secretKey) < MIN_SECRET_BYTES) {
      process.emitWarning(
        `SessionMiddleware's secretKey is ${Buffer.byteLength(options.secretKey)} bytes long: use at least ${MIN_SECRET_BYTES} random bytes (e.g. crypto.randomBytes(32).toString('base64url')), or session cookies can be forged by guessing it`,
        { code: 'STACKWARE_WEAK_SECRET_KEY' },
      );
    }
    this.clock = options.clock ?? Date.now;
    this.signer = new TimestampSigner(options.secretKey, this.clock);
    this.cookieName = options.sessionCookie ?? 'session';
    if (!COOKIE_NAME.test(this.cookieName)) throw new TypeError(`Invalid sessionCookie: ${JSON.stringify(this.cookieName)}`);
    this.maxAge = options.maxAge === undefined ? DEFAULT_MAX_AGE : options.maxAge;
    if (this.maxAge !== null && !Number.isInteger(this.maxAge)) throw new TypeError('maxAge must be an integer number of seconds or null');
    this.path = options.path ?? '/';
    if (!ATTRIBUTE_VALUE.test(this.path)) throw new TypeError(`Invalid cookie path: ${JSON.stringify(this.path)}`);
    const sameSite = options.sameSite ?? 'lax';
    if (!SAME_SITE.has(sameSite)) throw new TypeError(`Invalid sameSite: ${JSON.stringify(sameSite)}`);
    let flags = `httponly; samesite=${sameSite}`;
    if (options.httpsOnly) flags += '; secure';
    if (options.domain !== undefined) {
      if (!ATTRIBUTE_VALUE.test(options.domain)) throw new TypeError(`Invalid cookie domain: ${JSON.stringify(options.domain)}`);
      flags += `; domain=${options.domain}`;
    }
    this.securityFlags = flags;
    if (options.store !== undefined) {
      const cookie = { name: this.cookieName, signer: this.signer, maxAge: this.maxAge, path: this.path, securityFlags: flags, clock: this.clock };
      const stored = new StoredSessions(options.store, cookie, undefined);
      this.stored = stored;
      // A session kept in a store is loaded from it and saved to it around the inner layers.
      this.around = (request, proceed) => stored.dispatch(request, proceed);
    }
  }

  protected override enter(request: Request): Exit | undefined {
    if (this.stored !== undefined) return undefined;
    // The cookie is verified and decoded on the first access to `request.session`, not before: a
    // request that never reads the session costs no HMAC. What is verified is the cookie as it
    // came, judged at the time it came.
    const cookie = request.cookies[this.cookieName];
    const receivedAt = cookie === undefined ? 0 : this.clock();
    let loaded: Record<string, unknown> | null = null;
    let data: Record<string, unknown> = {};
    let session: Record<string, unknown> | undefined;
    let modified = false;
    let snapshot: string | null = null;
    request.attachSession(() => {
      if (session !== undefined) return session;
      loaded = this.load(cookie, receivedAt);
      data = loaded ?? {};
      // To notice changes made inside nested values, which the proxy does not see; a session of
      // plain values (the usual one) has none. JSON.stringify (native) rather than the Python
      // spelling: both encode the same value model, so they are equal exactly when these are.
      if (hasNestedValue(data)) snapshot = JSON.stringify(data);
      session = new Proxy(data, {
        set(target, key, value: unknown) {
          if (typeof key === 'string') modified = true;
          // A key named __proto__ is stored as data, never through Object.prototype's setter:
          // `Object.assign(request.session, body)` must not change the session's prototype.
          if (key === '__proto__') return Reflect.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
          return Reflect.set(target, key, value);
        },
        setPrototypeOf() {
          return false;
        },
        defineProperty(target, key, descriptor) {
          if (typeof key === 'string') modified = true;
          return Reflect.defineProperty(target, key, descriptor);
        },
        deleteProperty(target, key) {
          if (typeof key === 'string' && Object.hasOwn(target, key)) modified = true;
          return Reflect.deleteProperty(target, key);
        },
      });
      return session;
    });

    return (response) => {
      if (session === undefined) return response;
      response.headers.addVary('Cookie');
      if (!modified && (snapshot === null || JSON.stringify(data) === snapshot)) return response;
      const payload = pythonJSONDumps(data);
      if (payload !== '{}') {
        const signed = this.signer.sign(Buffer.from(payload).toString('base64'));
        const maxAge = this.maxAge ? `Max-Age=${this.maxAge}; ` : '';
        response.headers.append('set-cookie', `${this.cookieName}=${signed}; path=${this.path}; ${maxAge}${this.securityFlags}`);
      } else if (loaded !== null) {
        response.headers.append(
          'set-cookie',
          `${this.cookieName}=null; path=${this.path}; expires=Thu, 01 Jan 1970 00:00:00 GMT; ${this.securityFlags}`,
        );
      }
      return response;
    };
  }

  /** The session in a valid cookie; null when there is none or it is not valid. */
  private load(cookie: string | undefined, receivedAt: number): Record<string, unknown> | null {
    if (cookie === undefined) return null;
    const payload = this.signer.unsign(cookie, this.maxAge, receivedAt);
    if (payload === null) return null;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
      return isPlainObject(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }
}

/** True when a value of `data` is an object or an array, which can change without the proxy seeing it. */
function hasNestedValue(data: Record<string, unknown>): boolean {
  for (const key in data) {
    const value = data[key];
    if (typeof value === 'object' && value !== null) return true;
  }
  return false;
}
