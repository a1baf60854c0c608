import { realpathSync, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { HTTPException } from './exceptions';
import { FileResponse } from './file-response';
import type { HTTPApp } from './middleware/base';
import type { Request } from './requests';
import { RedirectResponse, type Response } from './responses';

/** What {@link StaticFiles} does with a path that has a segment starting with a dot (`.env`, `.git/config`). */
export type DotfilesPolicy = 'ignore' | 'deny' | 'allow';

/** Options of {@link StaticFiles}. */
export interface StaticFilesOptions {
  /** The directory served; nothing outside it is ever read, symlinks included. */
  directory: string;
  /**
   * HTML mode, as Starlette's `StaticFiles(html=True)`: a directory is answered with its
   * `index.html` (a directory without its trailing slash is first redirected to it), and a missing
   * file with the root's `404.html`, when there is one. Default false.
   */
  html?: boolean;
  /**
   * Paths with a segment starting with a dot: `ignore` (default) answers 404 as if they did not
   * exist, `deny` answers 403, `allow` serves them (Express's `dotfiles` option).
   */
  dotfiles?: DotfilesPolicy;
  /** Seconds a cache may keep a file: `cache-control: public, max-age=…`. No `cache-control` unless set. */
  maxAge?: number;
  /**
   * Adds `immutable` to `cache-control`, for fingerprinted assets that never change under their
   * name; `maxAge` is then one year unless given.
   */
  immutable?: boolean;
}

const ONE_YEAR = 365 * 24 * 60 * 60;

interface Found {
  readonly path: string;
  readonly stats: Stats;
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function hasDotSegment(path: string): boolean {
  return path.split('/').some((segment) => segment.startsWith('.') && segment !== '.' && segment !== '..');
}

function cacheControlFor(options: StaticFilesOptions): string | null {
  const maxAge = options.maxAge ?? (options.immutable === true ? ONE_YEAR : undefined);
  if (maxAge === undefined) return null;
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new RangeError(`maxAge must be a whole number of seconds, got ${maxAge}`);
  return `public, max-age=${maxAge}${options.immutable === true ? ', immutable' : ''}`;
}

/**
 * Serves the files of a directory: `app.mount('/static', new StaticFiles({ directory: 'public' }))`.
 *
 * A path that would leave the directory (`..`, its encoded forms, a symlink pointing outside), a
 * dotfile (unless allowed) and a file asked for with a trailing slash are 404s, the same as a
 * missing file. Files are answered with ranges (206, 416) and conditional requests (304, 412)
 * honoured, as {@link FileResponse} does when given the request.
 */
export class StaticFiles implements HTTPApp {
  private readonly root: string;
  private readonly html: boolean;
  private readonly dotfiles: DotfilesPolicy;
  private readonly cacheControl: string | null;

  constructor(options: StaticFilesOptions) {
    this.root = realpathSync(resolve(options.directory));
    this.html = options.html ?? false;
    this.dotfiles = options.dotfiles ?? 'ignore';
    this.cacheControl = cacheControlFor(options);
  }

  /**
   * Serves the file at the path below the mount. Rejects with a 405 for methods other than GET and
   * HEAD, with a 404 when there is no such file (a 403 for a dotfile under `dotfiles: 'deny'`).
   */
  async handle(request: Request): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      throw new HTTPException(405, 'Method Not Allowed', { allow: 'GET, HEAD' });
    }
    const path = this.routePath(request);
    if (this.dotfiles !== 'allow' && hasDotSegment(path)) throw new HTTPException(this.dotfiles === 'deny' ? 403 : 404);
    const found = await this.lookup(path);
    if (found !== null && found.stats.isFile()) {
      // `hello.txt/` names a directory that does not exist, not the file.
      if (path.endsWith('/')) return this.notFound(request);
      return this.fileResponse(found, request);
    }
    if (found !== null && found.stats.isDirectory() && this.html) {
      const index = await this.lookup(`${path}/index.html`);
      if (index !== null && index.stats.isFile()) {
        if (!path.endsWith('/')) {
          const url = new URL(request.url);
          url.pathname += '/';
          return new RedirectResponse(url);
        }
        return this.fileResponse(index, request);
      }
    }
    return this.notFound(request);
  }

  private fileResponse(found: Found, request: Request, statusCode = 200): FileResponse {
    const headers = this.cacheControl === null ? undefined : { 'cache-control': this.cacheControl };
    return new FileResponse(found.path, { stats: found.stats, request, headers, statusCode });
  }

  /** The root's `404.html` in HTML mode, when there is one; a 404 error otherwise. */
  private async notFound(request: Request): Promise<Response> {
    if (this.html) {
      const page = await this.lookup('404.html');
      if (page !== null && page.stats.isFile()) return this.fileResponse(page, request, 404);
    }
    throw new HTTPException(404);
  }

  private routePath(request: Request): string {
    const path = request.path;
    return request.rootPath !== '' && path.startsWith(request.rootPath) ? path.slice(request.rootPath.length) : path;
  }

  /** The real path and stats of what `path` names inside the root, or null when there is nothing there. */
  private async lookup(path: string): Promise<Found | null> {
    if (path.includes('\0') || path.includes('\\')) return null;
    const candidate = resolve(this.root, `.${sep}${path}`);
    if (!inside(this.root, candidate)) return null;
    try {
      const real = await realpath(candidate);
      if (!inside(this.root, real)) return null;
      return { path: real, stats: await stat(real) };
    } catch {
      return null;
    }
  }
}
