// The double-submit token of CSRFMiddleware (starlette-csrf's scheme): a random token, HMAC-signed
// with the application's secret, in a cookie the page can read; an unsafe request must send the
// same value back in a header or a form field. The signature stops a cookie planted by a sibling
// subdomain; the same-origin policy stops another site from reading the cookie to copy it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CookieOptions } from '../cookies';
import type { Request } from '../requests';

/** Options of the double-submit token of `CSRFMiddleware`. */
export interface CSRFTokenOptions {
  /** The key signing tokens: at least 32 random bytes, kept secret. */
  secret: string;
  /** The cookie holding the token; default `csrftoken`. */
  cookieName?: string;
  /** The request header carrying it back; default `x-csrftoken`. */
  headerName?: string;
  /** The form field carrying it back (urlencoded or multipart bodies); default `csrftoken`, `false` for none. */
  formField?: string | false;
  /** Attributes of the cookie; default `path=/; SameSite=Lax`, never `HttpOnly` (the page reads it). */
  cookie?: Omit<CookieOptions, 'httpOnly'>;
}

const TOKEN = Symbol('stackware.csrfToken');

/** @internal The token machinery, one per middleware. */
export class CSRFTokens {
  readonly cookieName: string;
  readonly headerName: string;
  readonly formField: string | false;
  private readonly secret: Buffer;

  constructor(readonly options: CSRFTokenOptions) {
    if (typeof options.secret !== 'string' || Buffer.byteLength(options.secret) < 32) {
      throw new TypeError('CSRFMiddleware token.secret must be at least 32 random bytes (e.g. crypto.randomBytes(32).toString("base64url"))');
    }
    this.secret = Buffer.from(options.secret);
    this.cookieName = options.cookieName ?? 'csrftoken';
    this.headerName = (options.headerName ?? 'x-csrftoken').toLowerCase();
    this.formField = options.formField ?? 'csrftoken';
  }

  /** A fresh signed token. */
  issue(): string {
    const token = randomBytes(24).toString('base64url');
    return `${token}.${this.sign(token)}`;
  }

  /** Whether `value` is a token this middleware signed. */
  valid(value: string): boolean {
    const dot = value.indexOf('.');
    if (dot <= 0) return false;
    const expected = Buffer.from(this.sign(value.slice(0, dot)));
    const given = Buffer.from(value.slice(dot + 1));
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** Why the request's token fails, or undefined when the header or form field matches the cookie. */
  async check(request: Request): Promise<string | undefined> {
    const cookie = request.cookies[this.cookieName];
    if (cookie === undefined || cookie === '') return `the ${this.cookieName} cookie is missing`;
    if (!this.valid(cookie)) return `the ${this.cookieName} cookie is not a token this application signed`;
    let sent = request.headers.get(this.headerName) ?? undefined;
    if (sent === undefined && this.formField !== false && isForm(request)) {
      const value = (await request.form()).get(this.formField);
      sent = typeof value === 'string' ? value : undefined;
    }
    if (sent === undefined) return `the token was sent in neither the ${this.headerName} header${this.formField === false ? '' : ` nor the ${this.formField} form field`}`;
    const a = Buffer.from(sent);
    const b = Buffer.from(cookie);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return `the token sent does not match the ${this.cookieName} cookie`;
    return undefined;
  }

  private sign(token: string): string {
    return createHmac('sha256', this.secret).update(token).digest('base64url');
  }
}

function isForm(request: Request): boolean {
  const type = request.headers.get('content-type') ?? '';
  return /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type);
}

/** @internal The token of this request (the cookie's, or a fresh one the response will set). */
export function requestToken(request: Request, tokens: CSRFTokens): string {
  const slot = request as Request & { [TOKEN]?: { value: string; fresh: boolean } };
  if (slot[TOKEN] === undefined) {
    const cookie = request.cookies[tokens.cookieName];
    slot[TOKEN] = cookie !== undefined && tokens.valid(cookie) ? { value: cookie, fresh: false } : { value: tokens.issue(), fresh: true };
  }
  return slot[TOKEN].value;
}

/** @internal The token to set on the response, when the request had none. */
export function freshToken(request: Request): string | undefined {
  const slot = (request as Request & { [TOKEN]?: { value: string; fresh: boolean } })[TOKEN];
  return slot?.fresh ? slot.value : undefined;
}
