import { Headers } from '../headers';
import type { Request } from '../requests';
import { PlainTextResponse, type Response } from '../responses';
import type { HTTPApp } from './base';
import { BuiltinMiddleware, type Exit } from './builtin';

/** What `allowMethods: ['*']` stands for (Starlette's `ALL_METHODS`). */
const ALL_METHODS: readonly string[] = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/** Request headers always allowed in a preflight (the CORS-safelisted ones). */
const SAFELISTED_HEADERS: readonly string[] = ['Accept', 'Accept-Language', 'Content-Language', 'Content-Type'];

/** Options of {@link CORSMiddleware}; every one is optional. */
export interface CORSOptions {
  /** Origins allowed to make cross-origin requests, matched exactly; `['*']` allows any. Default `[]`. */
  allowOrigins?: readonly string[];
  /**
   * A regular expression (a JavaScript `RegExp`, or its source as a string) an origin is allowed by
   * when it matches the **whole** origin: `https://.*\.example\.org` does not allow
   * `https://a.example.org.evil.com`. The `g`, `y` and `m` flags are ignored.
   */
  allowOriginRegex?: string | RegExp;
  /** Methods allowed in cross-origin requests, compared case-sensitively; `['*']` allows the usual seven. Default `['GET']`. */
  allowMethods?: readonly string[];
  /**
   * Request headers allowed in cross-origin requests, on top of the CORS-safelisted `Accept`,
   * `Accept-Language`, `Content-Language` and `Content-Type`; `['*']` allows any. Default `[]`.
   */
  allowHeaders?: readonly string[];
  /** Whether cookies and credentials are allowed; the origin is then echoed instead of `*`. Default `false`. */
  allowCredentials?: boolean;
  /** Response headers the browser lets scripts read (`Access-Control-Expose-Headers`). Default `[]`. */
  exposeHeaders?: readonly string[];
  /** How long browsers may cache a preflight answer, in seconds (`Access-Control-Max-Age`). Default `600`. */
  maxAge?: number;
  /** Whether preflights asking for private-network access (`Access-Control-Request-Private-Network`) are allowed. Default `false`. */
  allowPrivateNetwork?: boolean;
}

/** The first value of a request header, as Starlette's `Headers.get` reads it. */
function firstValue(headers: Headers, name: string): string | null {
  const values = headers.getAll(name);
  return values.length === 0 ? null : values[0];
}

/** Compiles the origin regex so that it must match the whole origin (Python's `re.fullmatch`). */
function wholeMatch(regex: string | RegExp): RegExp {
  if (typeof regex === 'string') return new RegExp(`^(?:${regex})$`);
  return new RegExp(`^(?:${regex.source})$`, regex.flags.replace(/[gym]/g, ''));
}

/**
 * Starlette's `CORSMiddleware`: answers CORS preflight requests itself and adds the CORS headers
 * to the responses of cross-origin requests.
 *
 * - A request without an `Origin` header passes through untouched.
 * - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) never reaches the
 *   application: it is answered `200 OK` with the `Access-Control-Allow-*` headers, or `400` with
 *   `Disallowed CORS origin, method, headers, private-network` (the failures that apply).
 * - Any other request with an `Origin` goes to the application, and its response gets
 *   `Access-Control-Allow-Origin` (`*`, or the request's origin, with `Vary: Origin`, when the
 *   answer depends on it), `Access-Control-Allow-Credentials` and `Access-Control-Expose-Headers`.
 *
 * Everything that does not depend on the request is computed once, in the constructor.
 *
 * @example
 * ```ts
 * app.addMiddleware(CORSMiddleware, { allowOrigins: ['https://example.org'], allowCredentials: true });
 * ```
 */
export class CORSMiddleware extends BuiltinMiddleware<CORSOptions> {
  /** Allowed methods, as compared with `Access-Control-Request-Method` (case-sensitive). */
  readonly allowMethods: readonly string[];
  /** Allowed request headers (safelisted ones included), lower-cased. */
  readonly allowHeaders: readonly string[];
  /** True when `allowOrigins` contains `*`. */
  readonly allowAllOrigins: boolean;
  /** True when `allowHeaders` contains `*`. */
  readonly allowAllHeaders: boolean;
  /** Whether credentials are allowed. */
  readonly allowCredentials: boolean;
  /** Whether private-network preflights are allowed. */
  readonly allowPrivateNetwork: boolean;

  private readonly origins: ReadonlySet<string>;
  private readonly originRegex: RegExp | null;
  private readonly methodSet: ReadonlySet<string>;
  private readonly headerSet: ReadonlySet<string>;
  /** Whether a preflight echoes the origin (with `Vary: Origin`) rather than answering `*`. */
  private readonly preflightExplicitOrigin: boolean;
  /** Headers set on every response to a cross-origin (non-preflight) request. */
  private readonly simpleHeaders: ReadonlyArray<readonly [string, string]>;
  /** Headers every preflight answer starts with. */
  private readonly preflightHeaders: Headers;

  constructor(app: HTTPApp, options: CORSOptions = {}) {
    super(app, options);
    const allowOrigins = options.allowOrigins ?? [];
    const requestedMethods = options.allowMethods ?? ['GET'];
    const allowHeaders = options.allowHeaders ?? [];
    const exposeHeaders = options.exposeHeaders ?? [];
    const maxAge = options.maxAge ?? 600;

    this.allowMethods = requestedMethods.includes('*') ? ALL_METHODS : [...requestedMethods];
    this.allowAllOrigins = allowOrigins.includes('*');
    this.allowAllHeaders = allowHeaders.includes('*');
    this.allowCredentials = options.allowCredentials ?? false;
    this.allowPrivateNetwork = options.allowPrivateNetwork ?? false;
    this.origins = new Set(allowOrigins);
    this.originRegex = options.allowOriginRegex === undefined ? null : wholeMatch(options.allowOriginRegex);
    this.methodSet = new Set(this.allowMethods);
    this.preflightExplicitOrigin = !this.allowAllOrigins || this.allowCredentials;

    const simple: Array<readonly [string, string]> = [];
    if (this.allowAllOrigins) simple.push(['access-control-allow-origin', '*']);
    if (this.allowCredentials) simple.push(['access-control-allow-credentials', 'true']);
    if (exposeHeaders.length > 0) simple.push(['access-control-expose-headers', exposeHeaders.join(', ')]);
    this.simpleHeaders = simple;

    // Union with the safelist, then a plain (code-unit, case-sensitive) sort, as Python's sorted().
    const sortedHeaders = [...new Set([...SAFELISTED_HEADERS, ...allowHeaders])].sort();
    const preflight = new Headers();
    if (this.preflightExplicitOrigin) preflight.set('vary', 'Origin');
    else preflight.set('access-control-allow-origin', '*');
    preflight.set('access-control-allow-methods', this.allowMethods.join(', '));
    preflight.set('access-control-max-age', String(maxAge));
    if (!this.allowAllHeaders) preflight.set('access-control-allow-headers', sortedHeaders.join(', '));
    if (this.allowCredentials) preflight.set('access-control-allow-credentials', 'true');
    this.preflightHeaders = preflight;

    this.allowHeaders = sortedHeaders.map((h) => h.toLowerCase());
    this.headerSet = new Set(this.allowHeaders);
  }

  /** True if `origin` is allowed: any origin with `*`, a whole match of the regex, or one of `allowOrigins`. */
  isAllowedOrigin(origin: string): boolean {
    if (this.allowAllOrigins) return true;
    if (this.originRegex !== null && this.originRegex.test(origin)) return true;
    return this.origins.has(origin);
  }

  protected override enter(request: Request): Response | Exit | undefined {
    const headers = request.headers;
    const origin = firstValue(headers, 'origin');
    if (origin === null) return undefined;
    if (request.method === 'OPTIONS' && headers.has('access-control-request-method')) return this.preflightResponse(headers, origin);
    return (response) => {
      this.addSimpleHeaders(response.headers, origin);
      return response;
    };
  }

  /** Answers a preflight request, without calling the application. */
  private preflightResponse(requestHeaders: Headers, origin: string): Response {
    const requestedMethod = firstValue(requestHeaders, 'access-control-request-method') ?? '';
    const requestedHeaders = firstValue(requestHeaders, 'access-control-request-headers');
    const headers = new Headers(this.preflightHeaders);
    const failures: string[] = [];

    if (this.isAllowedOrigin(origin)) {
      // Otherwise `Access-Control-Allow-Origin: *` is already among the preflight headers.
      if (this.preflightExplicitOrigin) headers.set('access-control-allow-origin', origin);
    } else {
      failures.push('origin');
    }

    if (!this.methodSet.has(requestedMethod)) failures.push('method');

    if (requestedHeaders !== null) {
      if (this.allowAllHeaders) {
        // Allowing any header means mirroring the requested ones back.
        headers.set('access-control-allow-headers', requestedHeaders);
      } else if (requestedHeaders.split(',').some((h) => !this.headerSet.has(h.toLowerCase().trim()))) {
        failures.push('headers');
      }
    }

    if (requestHeaders.has('access-control-request-private-network')) {
      if (this.allowPrivateNetwork) headers.set('access-control-allow-private-network', 'true');
      else failures.push('private-network');
    }

    // A 400 is not needed (the browser enforces the policy), but it is more informative.
    if (failures.length > 0) {
      return new PlainTextResponse(`Disallowed CORS ${failures.join(', ')}`, { statusCode: 400, headers });
    }
    return new PlainTextResponse('OK', { statusCode: 200, headers });
  }

  /** Adds the CORS headers to the response to a cross-origin, non-preflight request. */
  private addSimpleHeaders(headers: Headers, origin: string): void {
    for (const [name, value] of this.simpleHeaders) headers.set(name, value);
    // With credentials the origin must be echoed instead of `*`; with a list or a regex, only an
    // allowed origin is echoed.
    if (this.allowAllOrigins ? this.allowCredentials : this.isAllowedOrigin(origin)) {
      headers.set('access-control-allow-origin', origin);
      headers.addVary('Origin');
    }
  }
}
