import { randomBytes } from 'node:crypto';
import type { TimestampSigner } from '../itsdangerous';
import { OutageLog } from '../ratelimit/outage';
import type { Request } from '../requests';
import { JSONResponse, type Response } from '../responses';
import type { Store } from '../stores/store';
import type { CallNext } from './base';
import type { ErrorLogger } from './errors';

/** How a store-backed session is written to the cookie; given by `SessionMiddleware`. */
export interface SessionCookie {
  name: string;
  signer: TimestampSigner;
  maxAge: number | null;
  path: string;
  securityFlags: string;
  clock: () => number;
}

const KEY_PREFIX = 'session:';
/** A browser-session cookie's record still needs a TTL in the store: one day. */
const BROWSER_SESSION_TTL = 24 * 60 * 60;

function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Server-side sessions: the cookie carries only a signed random id, the data lives in `store`,
 * one store field per top-level session key, with the session's max age as TTL.
 *
 * Concurrent requests on one session: only the keys a request changed are written (set or
 * removed) when it ends, atomically per request. Two requests that change different keys both
 * keep their change; two that change the same key leave the value of the one that finished last.
 */
export class StoredSessions {
  private outage: OutageLog | undefined;

  constructor(
    private readonly store: Store,
    private readonly cookie: SessionCookie,
    private readonly logger: ErrorLogger | undefined,
  ) {}

  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const cookie = request.cookies[this.cookie.name];
    const id = cookie === undefined ? null : this.cookie.signer.unsign(cookie, this.cookie.maxAge, this.cookie.clock());
    let stored: Record<string, string> = {};
    try {
      if (id !== null) stored = (await this.store.getRecord(KEY_PREFIX + id)) ?? {};
      this.log(request).succeeded();
    } catch (error) {
      return this.unavailable(request, error);
    }

    const data: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [field, value] of Object.entries(stored)) {
      try {
        data[field] = JSON.parse(value);
      } catch {
        // a field that does not parse is dropped, never an error
      }
    }
    let opened = false;
    let regenerated = false;
    request.attachSession(
      () => ((opened = true), data),
      () => ((opened = true), (regenerated = true)),
    );

    const response = await callNext(request);
    if (!opened) return response;
    response.headers.addVary('Cookie');

    const set: Record<string, string> = {};
    const fields = Object.keys(data);
    for (const field of fields) {
      const value = JSON.stringify(data[field]);
      if (value !== undefined && (regenerated || stored[field] !== value)) set[field] = value;
    }
    const remove = regenerated ? [] : Object.keys(stored).filter((field) => !Object.hasOwn(data, field) || JSON.stringify(data[field]) === undefined);
    const hadSession = id !== null && Object.keys(stored).length > 0;
    try {
      if (fields.length === 0) {
        if (id !== null) await this.store.delete(KEY_PREFIX + id);
        if (hadSession || cookie !== undefined) this.clearCookie(response);
        return response;
      }
      if (Object.keys(set).length === 0 && remove.length === 0) return response;
      const target = id === null || regenerated || !hadSession ? newSessionId() : id;
      const ttl = this.cookie.maxAge ?? BROWSER_SESSION_TTL;
      await this.store.patchRecord(KEY_PREFIX + target, set, remove, ttl);
      if (target !== id) {
        if (id !== null) await this.store.delete(KEY_PREFIX + id);
        const maxAge = this.cookie.maxAge ? `Max-Age=${this.cookie.maxAge}; ` : '';
        response.headers.append('set-cookie', `${this.cookie.name}=${this.cookie.signer.sign(target)}; path=${this.cookie.path}; ${maxAge}${this.cookie.securityFlags}`);
      }
      this.log(request).succeeded();
      return response;
    } catch (error) {
      return this.unavailable(request, error);
    }
  }

  private clearCookie(response: Response): void {
    response.headers.append('set-cookie', `${this.cookie.name}=null; path=${this.cookie.path}; expires=Thu, 01 Jan 1970 00:00:00 GMT; ${this.cookie.securityFlags}`);
  }

  /** A session that cannot be read or saved fails closed: 503, so no change is silently lost. */
  private unavailable(request: Request, error: unknown): Response {
    this.log(request).failed(error, 'answering 503');
    return new JSONResponse({ detail: 'Service Unavailable' }, { statusCode: 503, headers: { 'retry-after': '1' } });
  }

  private log(request: Request): OutageLog {
    this.outage ??= new OutageLog(this.logger ?? request.app?.logger ?? console, 'SessionMiddleware');
    return this.outage;
  }
}
