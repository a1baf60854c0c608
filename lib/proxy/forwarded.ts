/** One element of an RFC 7239 `Forwarded` header: what one proxy saw. */
export interface ForwardedElement {
  /** The `for` parameter as sent: `192.0.2.60`, `"[2001:db8::17]:4711"` unquoted, `unknown`, `_hidden`. */
  readonly for?: string;
  readonly proto?: string;
  readonly host?: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The value of one `name=value` pair: a token or a quoted string (with `\` escapes); null if malformed. */
function pairValue(raw: string): string | null {
  if (!raw.startsWith('"')) return TOKEN.test(raw) ? raw : null;
  if (raw.length < 2 || !raw.endsWith('"')) return null;
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    let c = raw[i];
    if (c === '\\') c = raw[++i] ?? '';
    else if (c === '"') return null;
    out += c;
  }
  return out;
}

/** Splits on `separator` outside quoted strings. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Parses a `Forwarded` header (RFC 7239 §4), several headers joined with `,`, into its elements,
 * leftmost (the original client's) first. Null when any part is malformed: the header is then
 * ignored whole, never half-believed.
 */
export function parseForwarded(header: string): ForwardedElement[] | null {
  const elements: ForwardedElement[] = [];
  for (const element of splitOutsideQuotes(header, ',')) {
    const params: Record<string, string> = {};
    for (const pair of splitOutsideQuotes(element, ';')) {
      const trimmed = pair.trim();
      if (trimmed === '') continue;
      const eq = trimmed.indexOf('=');
      if (eq <= 0) return null;
      const name = trimmed.slice(0, eq).toLowerCase();
      const value = pairValue(trimmed.slice(eq + 1));
      if (value === null || !TOKEN.test(name) || name in params) return null;
      params[name] = value;
    }
    elements.push({ for: params.for, proto: params.proto, host: params.host });
  }
  return elements;
}

/** The address of a `for` value (`[2001:db8::17]:4711` → `2001:db8::17`, `192.0.2.1:80` → `192.0.2.1`). */
export function forwardedAddress(value: string): string {
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(1, end);
  }
  const colon = value.indexOf(':');
  return colon !== -1 && value.indexOf(':', colon + 1) === -1 ? value.slice(0, colon) : value;
}
