import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Headers } from '../headers';
import type { Request } from '../requests';
import type { Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';

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
}

const DEFAULT_MAX_AGE = 14 * 24 * 60 * 60;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ATTRIBUTE_VALUE = /^[\x20-\x3A\x3C-\x7E]*$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const SAME_SITE = new Set(['lax', 'strict', 'none']);

/**
 * itsdangerous's `TimestampSigner` with its defaults (HMAC-SHA1, the `django-concat` key
 * derivation, salt `itsdangerous.Signer`, separator `.`), so values it signs are accepted by
 * Python's itsdangerous and the other way round.
 *
 * A signed value is `value.timestamp.signature`, the timestamp being the Unix time in seconds as
 * big-endian bytes and both parts URL-safe base64 without padding.
 */
export class TimestampSigner {
  private readonly key: Buffer;
  private readonly clock: () => number;

  /**
   * @param secretKey - the secret the signatures are made with.
   * @param clock - the current time in milliseconds; `Date.now` by default.
   */
  constructor(secretKey: string, clock: () => number = Date.now) {
    this.key = createHash('sha1').update('itsdangerous.Signer').update('signer').update(secretKey).digest();
    this.clock = clock;
  }

  /** Signs `value` (which must not need escaping in a cookie) with the current time. */
  sign(value: string): string {
    const timestamped = `${value}.${encodeTimestamp(this.now())}`;
    return `${timestamped}.${this.signature(timestamped).toString('base64url')}`;
  }

  /**
   * The value `signed` was made from; null when its signature is wrong or malformed, or, if
   * `maxAge` (seconds) is given, when it was signed more than `maxAge` seconds ago or in the
   * future. The signature is compared in constant time, and only in its canonical spelling.
   */
  unsign(signed: string, maxAge: number | null = null): string | null {
    const sep = signed.lastIndexOf('.');
    if (sep === -1) return null;
    const timestamped = signed.slice(0, sep);
    const signature = signed.slice(sep + 1);
    // Compared as canonical base64url text, so no other spelling of the same bytes is accepted.
    const expected = Buffer.from(this.signature(timestamped).toString('base64url'));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const tsSep = timestamped.lastIndexOf('.');
    if (tsSep === -1) return null;
    const timestamp = decodeTimestamp(timestamped.slice(tsSep + 1));
    if (timestamp === null) return null;
    if (maxAge !== null) {
      const age = this.now() - timestamp;
      if (age > maxAge || age < 0) return null;
    }
    return timestamped.slice(0, tsSep);
  }

  private now(): number {
    return Math.floor(this.clock() / 1000);
  }

  private signature(value: string): Buffer {
    return createHmac('sha1', this.key).update(value).digest();
  }
}

/** An integer as big-endian bytes without leading zeros (0 is no bytes), URL-safe base64. */
function encodeTimestamp(seconds: number): string {
  const bytes: number[] = [];
  for (let n = seconds; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from(bytes).toString('base64url');
}

function decodeTimestamp(text: string): number | null {
  if (!BASE64URL.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length > 8) return null;
  let seconds = 0;
  for (const byte of bytes) seconds = seconds * 256 + byte;
  return seconds;
}

/**
 * Serializes a JSON value exactly as Python's `json.dumps` does by default: `", "` and `": "` as
 * separators, and every character outside printable ASCII escaped as `\uXXXX` (`ensure_ascii`).
 * What is serialized follows `JSON.stringify` (`toJSON`, `undefined` and functions skipped in
 * objects and `null` in arrays, non-finite numbers `null`); safe integers print as Python ints,
 * other numbers as Python's float `repr`.
 *
 * @throws TypeError for a cyclic structure or a bigint, as `JSON.stringify`.
 */
export function pythonJSONDumps(value: unknown): string {
  return dumpValue(value, '', []) ?? 'null';
}

function dumpValue(input: unknown, key: string, stack: object[]): string | undefined {
  let value = input;
  if (typeof value === 'object' && value !== null) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = (toJSON as (key: string) => unknown).call(value, key);
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) value = value.valueOf();
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return formatNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object':
      if (value === null) return 'null';
      if (stack.includes(value)) throw new TypeError('Converting circular structure to JSON');
      stack.push(value);
      try {
        if (Array.isArray(value)) {
          const items = (value as unknown[]).map((item, index) => dumpValue(item, String(index), stack) ?? 'null');
          return `[${items.join(', ')}]`;
        }
        const members: string[] = [];
        for (const name of Object.keys(value)) {
          const member = dumpValue((value as Record<string, unknown>)[name], name, stack);
          if (member !== undefined) members.push(`${quote(name)}: ${member}`);
        }
        return `{${members.join(', ')}}`;
      } finally {
        stack.pop();
      }
    default:
      return undefined; // undefined, functions, symbols
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function quote(text: string): string {
  // Python's ESCAPE_ASCII: backslash, quote, and anything outside space..tilde, per UTF-16 unit.
  const escaped = text.replace(/[\\"]|[^\x20-\x7e]/g, (ch) => ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"`;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  if (Number.isSafeInteger(value)) return String(value); // as a Python int (and -0 as 0)
  // Python's float repr: the shortest round-trip digits, in exponent form when the decimal
  // exponent is below -4 or at least 16 (JavaScript switches at -7 and 21), else with a `.0`.
  const [mantissa, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) return Number.isInteger(value) ? `${String(value)}.0` : String(value);
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}


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
export class SessionMiddleware extends BaseHTTPMiddleware<SessionOptions> {
  private readonly signer: TimestampSigner;
  private readonly cookieName: string;
  private readonly maxAge: number | null;
  private readonly path: string;
  private readonly securityFlags: string;

  constructor(app: HTTPApp, options: SessionOptions) {
    super(app, options);
    if (typeof options?.secretKey !== 'string' || options.secretKey === '') {
      throw new TypeError('SessionMiddleware requires a non-empty secretKey');
    }
    this.signer = new TimestampSigner(options.secretKey, options.clock);
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
  }

  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const loaded = this.load(request.cookies[this.cookieName]);
    const data = loaded ?? {};
    let accessed = false;
    let modified = false;
    let snapshot = '';
    const session = new Proxy(data, {
      set(target, key, value: unknown) {
        if (typeof key === 'string') modified = true;
        return Reflect.set(target, key, value);
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
    request.attachSession(session, () => {
      if (accessed) return;
      accessed = true;
      snapshot = pythonJSONDumps(data); // to notice changes made inside nested values
    });

    const response = await callNext(request);

    if (!accessed) return response;
    response.headers.addVary('Cookie');
    const payload = pythonJSONDumps(data);
    if (!modified && payload === snapshot) return response;
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
  }

  /** The session in a valid cookie; null when there is none or it is not valid. */
  private load(cookie: string | undefined): Record<string, unknown> | null {
    if (cookie === undefined) return null;
    const payload = this.signer.unsign(cookie, this.maxAge);
    if (payload === null) return null;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
      return isPlainObject(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }
}
