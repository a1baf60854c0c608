import { parseHost } from '../host';
import type { Request } from '../requests';
import { PlainTextResponse, RedirectResponse, type Response } from '../responses';
import type { HTTPApp } from './base';
import { BuiltinMiddleware } from './builtin';

/** Options of {@link TrustedHostMiddleware}. */
export interface TrustedHostOptions {
  /**
   * Host names the application answers to, without port: exact names (`example.com`), domain
   * wildcards (`*.example.com`, which matches `a.example.com` but not `example.com`), or `*` for
   * any host. Matched case-insensitively. Default `['*']`.
   */
  allowedHosts?: readonly string[];
  /**
   * Redirect `example.com` to `www.example.com` (same scheme, port, path and query) when only
   * the `www.` name is allowed. Default `true`.
   */
  wwwRedirect?: boolean;
}

/** The message of the error a malformed wildcard pattern raises (Starlette's `ENFORCE_DOMAIN_WILDCARD`). */
export const ENFORCE_DOMAIN_WILDCARD = "Domain wildcard patterns must be like '*.example.com'.";

/**
 * The host name a `Host` header value names, as {@link parseHost} reads it (port dropped, lower-cased,
 * a trailing dot removed: `example.com.` is `example.com`); null for a value that is not a host.
 */
function hostName(header: string): string | null {
  const parsed = parseHost(header);
  if (parsed === null) return null;
  const name = parsed.hostname;
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * Starlette's `TrustedHostMiddleware`: answers `400 Invalid host header` to any request whose
 * `Host` header (port ignored) is not one of `allowedHosts`, which guards against Host header
 * attacks. With `wwwRedirect`, a request for `example.com` when only `www.example.com` is allowed
 * is redirected (307) there instead.
 *
 * @example
 * ```ts
 * app.addMiddleware(TrustedHostMiddleware, { allowedHosts: ['example.com', '*.example.com'] });
 * ```
 *
 * @throws Error from the constructor when a pattern has a `*` anywhere but in a leading `*.`.
 */
export class TrustedHostMiddleware extends BuiltinMiddleware<TrustedHostOptions> {
  /** The allowed host patterns, as given (`['*']` by default). */
  readonly allowedHosts: readonly string[];
  /** True when `allowedHosts` contains `*`: every request passes. */
  readonly allowAny: boolean;
  /** Whether `example.com` is redirected to an allowed `www.example.com`. */
  readonly wwwRedirect: boolean;

  /** Exact host names, lower-cased. */
  private readonly exact: ReadonlySet<string>;
  /** Wildcard patterns without their `*` (`.example.com`), lower-cased. */
  private readonly suffixes: readonly string[];

  constructor(app: HTTPApp, options: TrustedHostOptions = {}) {
    super(app, options);
    const allowedHosts = [...(options.allowedHosts ?? ['*'])];
    for (const pattern of allowedHosts) {
      if (pattern.slice(1).includes('*')) throw new Error(ENFORCE_DOMAIN_WILDCARD);
      if (pattern.startsWith('*') && pattern !== '*' && !pattern.startsWith('*.')) throw new Error(ENFORCE_DOMAIN_WILDCARD);
    }
    this.allowedHosts = allowedHosts;
    this.allowAny = allowedHosts.includes('*');
    this.wwwRedirect = options.wwwRedirect ?? true;
    const patterns = allowedHosts.map((p) => p.toLowerCase().replace(/\.$/, ''));
    this.exact = new Set(patterns.filter((p) => !p.startsWith('*')));
    this.suffixes = patterns.filter((p) => p.startsWith('*.')).map((p) => p.slice(1));
  }

  protected override enter(request: Request): Response | undefined {
    if (this.allowAny) return undefined;

    // The host the client asked for (the one Host header, or what a trusted proxy said), parsed:
    // the host name is compared, never the raw text. Several Host headers join into no valid host.
    const header = request.host;
    const host = header === null ? null : hostName(header);
    if (host === null) return new PlainTextResponse('Invalid host header', { statusCode: 400 });
    if (this.isAllowed(host)) return undefined;

    if (this.wwwRedirect && this.exact.has(`www.${host}`)) {
      const redirect = this.wwwUrl(request, host);
      if (redirect !== null) return new RedirectResponse(redirect);
    }
    return new PlainTextResponse('Invalid host header', { statusCode: 400 });
  }

  private isAllowed(host: string): boolean {
    if (this.exact.has(host)) return true;
    for (const suffix of this.suffixes) if (host.endsWith(suffix)) return true;
    return false;
  }

  /**
   * The request URL on `www.` + its host, port, path and query kept; null when the URL cannot be
   * built from the `Host` header (a malformed port, say), which then gets a 400.
   */
  private wwwUrl(request: Request, host: string): string | null {
    let url: URL;
    try {
      url = request.url;
    } catch {
      return null;
    }
    if (url.hostname.replace(/\.$/, '') !== host) return null;
    const port = url.port === '' ? '' : `:${url.port}`;
    return `${url.protocol}//www.${host}${port}${url.pathname}${url.search}`;
  }
}
