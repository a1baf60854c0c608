// The paths a Connect middleware sees: where a path-scoped one applies, and `req.url` below a prefix.
import { decodePath } from '../request-target';

/**
 * A decoded path as a guard must see it: runs of slashes made one, `.` and `..` segments resolved
 * (never above the root), lower-cased (Connect and Express match prefixes regardless of case).
 */
export function normalizePath(decoded: string): string {
  const out: string[] = [];
  const segments = decoded.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === '.' || (segment === '' && i < segments.length - 1)) continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`.toLowerCase();
}

/**
 * A path prefix as given to `connectMiddleware(fn, { path })`: made to start with `/`, without
 * trailing slashes, normalized as {@link normalizePath}; `''` for the root.
 */
export function normalizePrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw new TypeError(`The path of a Connect middleware must be a string, got ${typeof prefix}`);
  const normalized = normalizePath(decodePath(prefix.startsWith('/') ? prefix : `/${prefix}`));
  return normalized === '/' ? '' : normalized.replace(/\/+$/, '');
}

/**
 * True when `prefix` (from {@link normalizePrefix}) covers `normalized` (from {@link normalizePath}):
 * the same path, or one below it (`/admin/x`, `/admin.json`, as Connect matches), not `/administrator`.
 */
export function underPrefix(normalized: string, prefix: string): boolean {
  if (prefix === '') return true;
  if (!normalized.startsWith(prefix)) return false;
  const next = normalized.charCodeAt(prefix.length);
  return Number.isNaN(next) || next === 0x2f || next === 0x2e;
}

/** The path and the query (with its `?`) of a raw request target. */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q) };
}

function encodeSegments(decoded: string): string {
  return decoded
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** A raw path cut in two at a prefix: the raw part that matched it, and the rest (starting with `/`). */
export interface SplitPath {
  readonly base: string;
  readonly rest: string;
}

/**
 * The raw path cut below `prefix`: the shortest start of `rawPath` that is `prefix` once decoded
 * (and, with `normalize`, normalized) is cut off, so what follows keeps its percent-encoding. When
 * no start of the raw path is the prefix (`/a/../admin/x` under `/admin`), the rest of the
 * normalized path is encoded again, below the prefix itself.
 */
export function splitBelow(rawPath: string, prefix: string, normalize: boolean): SplitPath {
  if (prefix === '') return { base: '', rest: rawPath === '' ? '/' : rawPath };
  const view = (raw: string): string => {
    let decoded: string;
    try {
      decoded = decodePath(raw);
    } catch {
      return '';
    }
    return normalize ? normalizePath(decoded) : decoded;
  };
  for (let i = 1; i <= rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (i < rawPath.length && c !== 0x2f && c !== 0x2e) continue;
    if (view(rawPath.slice(0, i)) === prefix) {
      const rest = rawPath.slice(i);
      return { base: rawPath.slice(0, i), rest: rest.startsWith('/') ? rest : `/${rest}` };
    }
  }
  const whole = view(rawPath);
  const rest = whole.startsWith(prefix) ? `/${encodeSegments(whole.slice(prefix.length).replace(/^\//, ''))}` : '/';
  return { base: prefix, rest };
}
