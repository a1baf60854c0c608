// The request target as a request reads it: its path and query, and their percent-encoding.
import { HTTPException } from './exceptions';

/** Decodes a percent-encoded path; a malformed escape is a client error (400). */
export function decodePath(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HTTPException(400, 'Malformed percent-encoding in the request path');
  }
}

/** A malformed escape in the query string is a client error (400), not a silent U+FFFD. */
export function checkPercentEncoding(query: string): void {
  try {
    decodeURIComponent(query);
  } catch {
    throw new HTTPException(400, 'Malformed percent-encoding in the query string');
  }
}

/** The path and query of a request target; an absolute-form target (`GET http://x/p`) gives its path. */
export function pathAndQuery(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const absolute = new URL(target);
    return absolute.pathname + absolute.search;
  } catch {
    return `/${target}`;
  }
}
