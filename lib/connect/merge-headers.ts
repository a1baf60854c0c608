import type { ServerResponse } from 'node:http';
import type { Headers } from '../headers';

// The response's own framing: what a Connect middleware set before the body existed does not apply.
const FRAMING = new Set(['content-length', 'transfer-encoding']);

/**
 * Moves the headers Connect middleware set on `res` (`res.setHeader`, before calling `next()`)
 * onto the Response stackware answered with, so that the layers outside see them and the adapter
 * writes one set: `set-cookie` values are all kept, each on its own line; `vary` tokens are merged;
 * for any other name the Response's own value wins, as `writeHead`'s wins over `setHeader`'s in Node.
 */
export function mergeConnectHeaders(res: ServerResponse, headers: Headers): void {
  for (const name of res.getHeaderNames()) {
    const value = res.getHeader(name);
    res.removeHeader(name);
    if (value === undefined || FRAMING.has(name)) continue;
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    if (name === 'set-cookie') {
      for (const item of values) headers.append(name, item);
    } else if (name === 'vary') {
      for (const item of values) for (const token of item.split(',')) if (token.trim() !== '') headers.addVary(token.trim());
    } else if (!headers.has(name)) {
      for (const item of values) headers.append(name, item);
    }
  }
}
