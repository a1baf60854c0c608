/** Attributes of a `set-cookie` header (Starlette's `set_cookie` arguments, camelCased). */
export interface CookieOptions {
  /** Seconds until it expires; 0 or less expires it now. */
  maxAge?: number;
  /** When it expires, as a date; with neither this nor `maxAge` it lasts for the browser session. */
  expires?: Date;
  /** Defaults to `/`. */
  path?: string;
  /** The domain it is sent to, subdomains included; by default only the host that set it. */
  domain?: string;
  /** Sent over HTTPS only. */
  secure?: boolean;
  /** Hidden from JavaScript (`document.cookie`). */
  httpOnly?: boolean;
  /** Defaults to `lax`. */
  sameSite?: 'lax' | 'strict' | 'none' | false;
  /** Stored per top-level site (CHIPS); browsers require `secure` with it. */
  partitioned?: boolean;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const ATTRIBUTE_VALUE = /^[\x20-\x3A\x3C-\x7E]*$/;

function attribute(name: string, value: string): string {
  if (!ATTRIBUTE_VALUE.test(value)) throw new TypeError(`Invalid cookie ${name}: ${JSON.stringify(value)}`);
  return `; ${name}=${value}`;
}

/**
 * Formats a `set-cookie` header value. A value outside RFC 6265's cookie-octets is
 * percent-encoded (and decoded again by {@link parseCookies}).
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`Invalid cookie name: ${JSON.stringify(name)}`);
  let header = `${name}=${COOKIE_VALUE.test(value) ? value : encodeURIComponent(value)}`;
  if (options.maxAge !== undefined) header += `; Max-Age=${Math.trunc(options.maxAge)}`;
  if (options.expires !== undefined) header += `; expires=${options.expires.toUTCString()}`;
  header += attribute('Path', options.path ?? '/');
  if (options.domain !== undefined) header += attribute('Domain', options.domain);
  if (options.secure) header += '; Secure';
  if (options.httpOnly) header += '; HttpOnly';
  const sameSite = options.sameSite ?? 'lax';
  if (sameSite !== false) header += `; SameSite=${sameSite}`;
  if (options.partitioned) header += '; Partitioned';
  return header;
}

function decode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The object `parseCookies` fills: nothing inherited (a cookie named `__proto__` or `toString` is
 * data), as with `Object.create(null)`, but created from a constructor, so that V8 keeps it a
 * fast-properties object instead of a dictionary: reading the session cookie from it was a
 * measurable part of a session read (issue 22).
 */
const CookieJar = function CookieJar(this: Record<string, string>) {} as unknown as new () => Record<string, string>;
CookieJar.prototype = Object.create(null) as object;

/**
 * Parses a `Cookie` header leniently, as browsers send it: pairs split on `;`, the first `=`
 * separating name and value, surrounding quotes removed. Garbage is skipped, never thrown.
 */
export function parseCookies(header: string | null): Record<string, string> {
  const cookies = new CookieJar();
  if (!header) return cookies;
  // indexOf over the header rather than split/slice per pair: it runs on every request that reads
  // a cookie. `eq` is the next `=` at or after `start` (Infinity: none left), searched only once it
  // falls behind, so a long header is scanned once.
  const length = header.length;
  let eq = -1;
  for (let start = 0; start <= length; ) {
    let end = header.indexOf(';', start);
    if (end === -1) end = length;
    if (eq < start) {
      eq = header.indexOf('=', start);
      if (eq === -1) eq = Infinity;
    }
    const hasEq = eq < end;
    const name = hasEq ? header.slice(start, eq).trim() : '';
    let value = (hasEq ? header.slice(eq + 1, end) : header.slice(start, end)).trim();
    start = end + 1;
    if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) value = value.slice(1, -1);
    if (name === '' && value === '') continue;
    if (cookies[name] === undefined) cookies[name] = decode(value);
  }
  return cookies;
}
