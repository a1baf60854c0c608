import type { Request } from '../requests';

/** The scheme and the rest of an `Authorization` header, or null without one. */
export function authorization(request: Request): { scheme: string; value: string } | null {
  const header = request.headers.get('authorization');
  if (header === null || header === undefined) return null;
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  if (space === -1) return { scheme: trimmed.toLowerCase(), value: '' };
  return { scheme: trimmed.slice(0, space).toLowerCase(), value: trimmed.slice(space + 1).trim() };
}

/** A quoted-string for a `WWW-Authenticate` parameter (RFC 7235 section 2.1). */
export function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n\0]/g, ' ')}"`;
}
