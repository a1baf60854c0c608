import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** A SHA-1 digest (20 bytes) in base64url without padding. */
const SIGNATURE_LENGTH = 27;
/** The characters that can end it: the 2 bits past the digest are zero in the canonical spelling. */
const CANONICAL_LAST = 'AEIMQUYcgkosw048';

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
    return `${timestamped}.${createHmac('sha1', this.key).update(timestamped).digest('base64url')}`;
  }

  /**
   * The value `signed` was made from; null when its signature is wrong or malformed, or, if
   * `maxAge` (seconds) is given, when it was signed more than `maxAge` seconds ago or in the
   * future, as of `at` (milliseconds; now by default). The signature is compared in constant time,
   * and only in its canonical spelling.
   */
  unsign(signed: string, maxAge: number | null = null, at: number = this.clock()): string | null {
    const sep = signed.lastIndexOf('.');
    if (sep === -1) return null;
    const timestamped = signed.slice(0, sep);
    const signature = signed.slice(sep + 1);
    // Only the canonical spelling of a SHA-1 signature is accepted (27 base64url characters, the
    // last one carrying no stray bits): then its bytes are compared, without re-encoding ours.
    if (signature.length !== SIGNATURE_LENGTH || !BASE64URL.test(signature) || !CANONICAL_LAST.includes(signature[SIGNATURE_LENGTH - 1])) {
      return null;
    }
    if (!timingSafeEqual(Buffer.from(signature, 'base64url'), this.signature(timestamped))) return null;
    const tsSep = timestamped.lastIndexOf('.');
    if (tsSep === -1) return null;
    const timestamp = decodeTimestamp(timestamped.slice(tsSep + 1));
    if (timestamp === null) return null;
    if (maxAge !== null) {
      const age = Math.floor(at / 1000) - timestamp;
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
