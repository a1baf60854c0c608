import { realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { HTTPException } from './exceptions';
import { FileResponse } from './file-response';
import type { HTTPApp } from './middleware/base';
import type { Request } from './requests';
import { Response } from './responses';

/** Options of {@link StaticFiles}. */
export interface StaticFilesOptions {
  /** The directory served; nothing outside it is ever read, symlinks included. */
  directory: string;
  /** Serve `index.html` for a directory. Default false. */
  html?: boolean;
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Serves the files of a directory: `app.mount('/static', new StaticFiles({ directory: 'public' }))`.
 * A path that would leave the directory (`..`, its encoded forms, a symlink pointing outside) is a
 * 404, the same as a missing file; `If-None-Match` with the current ETag gives 304.
 */
export class StaticFiles implements HTTPApp {
  private readonly root: string;
  private readonly html: boolean;

  constructor(options: StaticFilesOptions) {
    this.root = realpathSync(resolve(options.directory));
    this.html = options.html ?? false;
  }

  /**
   * Serves the file at the path below the mount. Rejects with a 405 for methods other than GET and
   * HEAD, with a 404 when there is no such file; answers 304 when `If-None-Match` is its ETag.
   */
  async handle(request: Request): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      throw new HTTPException(405, 'Method Not Allowed', { allow: 'GET, HEAD' });
    }
    const file = await this.lookup(this.routePath(request));
    if (file === null) throw new HTTPException(404);
    const response = new FileResponse(file);
    const etag = response.headers.get('etag');
    if (etag !== null && request.headers.get('if-none-match') === etag) {
      return new Response(null, { statusCode: 304, headers: { etag } });
    }
    return response;
  }

  private routePath(request: Request): string {
    const path = request.path;
    return request.rootPath !== '' && path.startsWith(request.rootPath) ? path.slice(request.rootPath.length) : path;
  }

  /** The real path of the file to serve, or null when there is none inside the root. */
  private async lookup(path: string): Promise<string | null> {
    if (path.includes('\0') || path.includes('\\')) return null;
    const candidate = resolve(this.root, `.${sep}${path}`);
    if (!inside(this.root, candidate)) return null;
    try {
      let real = await realpath(candidate);
      if (!inside(this.root, real)) return null;
      let info = await stat(real);
      if (info.isDirectory() && this.html) {
        real = await realpath(join(real, 'index.html'));
        if (!inside(this.root, real)) return null;
        info = await stat(real);
      }
      return info.isFile() ? real : null;
    } catch {
      return null;
    }
  }
}
