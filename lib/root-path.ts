// The application's root path (uvicorn's --root-path, FastAPI's root_path): the prefix a proxy
// strips before forwarding, put back so URLs the app builds point where the client can reach them.
import type { HTTPApp } from './middleware/base';
import type { Request } from './requests';
import type { Response } from './responses';

/**
 * Checks and normalises a root path: `''` (none) or `/segments` without a trailing slash
 * (`'/api/'` is `'/api'`, `'/'` is none). Decoded text: no `%`, `?`, `#`, whitespace or control
 * characters.
 *
 * @throws TypeError naming the value when it cannot be a root path.
 */
export function normalizeRootPath(value: string | undefined, what = 'rootPath'): string {
  if (value === undefined || value === '') return '';
  // eslint-disable-next-line no-control-regex
  const root = typeof value === 'string' ? value.replace(/\/+$/, '') : value;
  if (typeof root !== 'string' || !value.startsWith('/') || /[%?#\s\u0000-\u001f\u007f]|\/\//.test(root)) {
    throw new TypeError(`${what} must be a path such as "/api" (no %, ?, #, spaces or //), got ${JSON.stringify(value)}`);
  }
  return root;
}

/**
 * Serves `request` under `root`, as uvicorn does with `--root-path`: the root path is prepended to
 * `request.path` and `request.url` (and so to redirects and `request.urlFor`) and is the start of
 * `request.rootPath`; routing matches the path below it (Starlette's `get_route_path`). Applied
 * once, by the outermost application, before anything reads the path.
 */
export function applyRootPath(request: Request, root: string): void {
  if (root === '' || request.appRootPath !== '' || request.rootPath !== '') return;
  request.appRootPath = root;
  request.rootPath = root;
}

/** Options of {@link RootPathMiddleware}. */
export interface RootPathOptions {
  /** The prefix the proxy in front strips (`/api`); see {@link normalizeRootPath}. */
  rootPath: string;
}

/**
 * Serves the app under a root path (`stackware serve --root-path /api`): what
 * `new Application({ rootPath })` does, for any `HTTPApp`. Outermost, before anything reads the path.
 */
export class RootPathMiddleware implements HTTPApp {
  private readonly root: string;

  constructor(
    private readonly app: HTTPApp,
    options: RootPathOptions,
  ) {
    this.root = normalizeRootPath(options?.rootPath, 'RootPathMiddleware: rootPath');
  }

  handle(request: Request): Promise<Response> {
    applyRootPath(request, this.root);
    return this.app.handle(request);
  }
}
