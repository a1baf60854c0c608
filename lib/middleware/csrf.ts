import { serializeCookie } from '../cookies';
import type { Request } from '../requests';
import { PlainTextResponse, type Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';
import { CSRFTokens, freshToken, requestToken, type CSRFTokenOptions } from './csrf-token';

export type { CSRFTokenOptions } from './csrf-token';

/** The values of `Sec-Fetch-Site` (Fetch Metadata). */
export type SecFetchSite = 'same-origin' | 'same-site' | 'none' | 'cross-site';

/** Options of {@link CSRFMiddleware}. */
export interface CSRFOptions {
  /**
   * Origins (`https://app.example.com`) whose unsafe requests are accepted besides the request's
   * own ({@link Request.url}'s, behind a proxy once `ProxyHeadersMiddleware` said so), or a
   * function deciding for the others.
   */
  allowedOrigins?: readonly string[] | ((origin: string, request: Request) => boolean);
  /** `Sec-Fetch-Site` values accepted without looking at `Origin`, besides `same-origin` (always accepted); e.g. `['same-site']`. */
  allowedSecFetchSites?: readonly SecFetchSite[];
  /** Methods never checked; default `GET`, `HEAD`, `OPTIONS`, `TRACE`. */
  safeMethods?: readonly string[];
  /** Paths never checked: exact paths, or patterns (a webhook receiving cross-site POSTs). */
  exemptPaths?: readonly (string | RegExp)[];
  /**
   * Let through a request without a `Cookie` header whatever its origin: with no cookie it carries
   * no session for a forged request to ride on (APIs authenticated by a header). Default `false`.
   */
  allowWithoutCookies?: boolean;
  /**
   * The double-submit token, for clients that send neither `Sec-Fetch-Site` nor `Origin` (old
   * browsers, some proxies strip them): such a request must carry the signed `csrftoken` cookie
   * and the same value in the `x-csrftoken` header or the `csrftoken` form field.
   * {@link csrfToken} gives a page the value to put in its forms.
   */
  token?: CSRFTokenOptions;
  /** The answer to a refused request; default 403 with `CSRF check failed: <why>`. */
  onFailure?: (request: Request, reason: string) => Response | Promise<Response>;
}

const DEFAULT_SAFE = ['GET', 'HEAD', 'OPTIONS', 'TRACE'];
const FORM_LIKE = /^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i;
const TOKENS = Symbol('stackware.csrfTokens');

/**
 * The CSRF token of this request, for a form's hidden field or a page's meta tag: the one in the
 * request's cookie, or a fresh one the response sets. Needs {@link CSRFMiddleware} with `token`.
 */
export function csrfToken(request: Request): string {
  const tokens = (request as Request & { [TOKENS]?: CSRFTokens })[TOKENS];
  if (tokens === undefined) throw new Error('csrfToken(request) needs CSRFMiddleware with the token option');
  return requestToken(request, tokens);
}

/**
 * Refuses cross-site unsafe requests (POST, PUT, PATCH, DELETE…) with 403, saying why. A browser
 * request is judged by its `Sec-Fetch-Site` and `Origin` headers (Hono's csrf): accepted when
 * `Sec-Fetch-Site` is allowed (`same-origin`) or `Origin` is an allowed origin. A request with
 * neither header is refused when it looks like a form post (what a page of another site can send
 * without CORS), unless it carries the double-submit `token` when that is configured.
 */
export class CSRFMiddleware extends BaseHTTPMiddleware<CSRFOptions | undefined> {
  private readonly safe: Set<string>;
  private readonly sites: readonly string[];
  private readonly tokens: CSRFTokens | undefined;
  private readonly exempt: readonly (string | RegExp)[];

  constructor(app: HTTPApp, options?: CSRFOptions) {
    super(app, options);
    this.safe = new Set((options?.safeMethods ?? DEFAULT_SAFE).map((m) => m.toUpperCase()));
    this.sites = ['same-origin', ...(options?.allowedSecFetchSites ?? [])];
    this.tokens = options?.token ? new CSRFTokens(options.token) : undefined;
    this.exempt = options?.exemptPaths ?? [];
    if (this.tokens) serializeCookie(this.tokens.cookieName, 'x', options?.token?.cookie);
  }

  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const tokens = this.tokens;
    if (tokens) (request as Request & { [TOKENS]?: CSRFTokens })[TOKENS] = tokens;
    if (!this.safe.has(request.method) && !this.isExempt(request.path)) {
      const reason = await this.refusal(request);
      if (reason !== undefined) {
        if (this.options?.onFailure) return this.options.onFailure(request, reason);
        return new PlainTextResponse(`CSRF check failed: ${reason}`, { statusCode: 403 });
      }
    }
    const response = await callNext(request);
    if (tokens) {
      // Like starlette-csrf, every response to a request without a valid token cookie sets one.
      requestToken(request, tokens);
      const fresh = freshToken(request);
      if (fresh !== undefined) response.setCookie(tokens.cookieName, fresh, { path: '/', sameSite: 'lax', ...tokens.options.cookie, httpOnly: false });
    }
    return response;
  }

  private isExempt(path: string): boolean {
    return this.exempt.some((p) => (typeof p === 'string' ? p === path : p.test(path)));
  }

  private originAllowed(origin: string, request: Request): boolean {
    if (origin === request.url.origin) return true;
    const allowed = this.options?.allowedOrigins;
    if (allowed === undefined) return false;
    return typeof allowed === 'function' ? allowed(origin, request) : allowed.includes(origin);
  }

  /** Why the request is refused, or undefined when it passes. */
  private async refusal(request: Request): Promise<string | undefined> {
    if (this.options?.allowWithoutCookies && !request.headers.has('cookie')) return undefined;
    const site = request.headers.get('sec-fetch-site');
    const origin = request.headers.get('origin');
    if (site !== null) {
      if (this.sites.includes(site)) return undefined;
      if (origin !== null && this.originAllowed(origin, request)) return undefined;
      return `the request is ${site} (Sec-Fetch-Site)${origin === null ? '' : ` and its origin ${origin} is not allowed`}`;
    }
    if (origin !== null) return this.originAllowed(origin, request) ? undefined : `the origin ${origin} is not allowed`;
    if (this.tokens) return this.tokens.check(request);
    if (FORM_LIKE.test(request.headers.get('content-type') ?? 'text/plain')) {
      return 'a form-like request without Sec-Fetch-Site or Origin headers cannot be told apart from a cross-site one';
    }
    return undefined;
  }
}
