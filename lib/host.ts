import { isIPv6 } from 'node:net';

/** A `Host` header value taken apart: what `request.url` and `TrustedHostMiddleware` both read. */
export interface HostHeader {
  /** The host name as `URL.hostname` has it: lower-cased, a trailing dot kept, an IPv6 literal in brackets and in its canonical spelling. */
  readonly hostname: string;
  /** The port as a number, or null when the header has none. */
  readonly port: number | null;
}

// A DNS-style name (letters, digits, `-`, `_`, labels separated by single dots, an optional
// trailing dot) or an IPv6 literal in brackets, then an optional numeric port. Each label ends at
// a mandatory dot, so matching is linear. Anything else (`example.com:@evil.com`,
// `evil.com#.example.com`, `a/b`, `a\b`, spaces, userinfo, percent-escapes) does not match.
const NAME_HOST = /^((?:[A-Za-z0-9_-]+\.)*[A-Za-z0-9_-]+\.?)(?::(\d{0,5}))?$/;
const IPV6_HOST = /^\[([0-9A-Fa-f:.]+)\](?::(\d{0,5}))?$/;
// WHATWG URL reads a name whose last label is a number (`1.2.3`, `0x7f.1`, `1.2.3.4.`) as an IPv4
// address in another spelling; only the canonical dotted quad is accepted, so the URL's host is the
// header's host.
const ENDS_IN_NUMBER = /(?:^|\.)(?:\d+|0[xX][0-9A-Fa-f]*)\.?$/;
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const PUNYCODE_LABEL = /(?:^|\.)xn--/i;

function portOf(digits: string | undefined): number | null | undefined {
  if (digits === undefined || digits === '') return null;
  const port = Number(digits);
  return port <= 65535 ? port : undefined;
}

/**
 * Parses a `Host` header value (RFC 9110 §7.2: `uri-host [ ":" port ]`), accepting only a host name
 * or IP literal with an optional numeric port; null for anything else. What it accepts is exactly
 * what `new URL('http://' + value).hostname` gives back (lower-cased), so a URL built from an
 * accepted header never points to another host.
 */
export function parseHost(value: string): HostHeader | null {
  const name = NAME_HOST.exec(value);
  if (name !== null) {
    const port = portOf(name[2]);
    if (port === undefined) return null;
    const hostname = name[1].toLowerCase();
    if (ENDS_IN_NUMBER.test(hostname) && !DOTTED_QUAD.test(hostname)) return null;
    if (PUNYCODE_LABEL.test(hostname) && !sameAsUrlHost(hostname)) return null;
    return { hostname, port };
  }
  const ipv6 = IPV6_HOST.exec(value);
  if (ipv6 === null || !isIPv6(ipv6[1])) return null;
  const port = portOf(ipv6[2]);
  if (port === undefined) return null;
  // The URL parser's spelling of the address (`[::0001]` is `[::1]`), so comparisons agree with it.
  return { hostname: new URL(`http://[${ipv6[1]}]/`).hostname, port };
}

/** True when `value` is an acceptable `Host` header value (see {@link parseHost}). */
export function isValidHost(value: string): boolean {
  return parseHost(value) !== null;
}

/** `xn--` labels must be valid Punycode, or URL parsing throws: ask the URL parser itself. */
function sameAsUrlHost(hostname: string): boolean {
  try {
    return new URL(`http://${hostname}/`).hostname === hostname;
  } catch {
    return false;
  }
}
