import { randomBytes } from 'node:crypto';
import { findCspNonce, setCspNonce } from '../auth/slot';
import type { Request } from '../requests';
import type { Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';
import { compileCSP, type CompiledCSP, type CSPOptions } from './csp';

export { DEFAULT_CSP_DIRECTIVES, type CSPDirectiveValue, type CSPOptions } from './csp';

/** `Strict-Transport-Security` options. */
export interface HSTSOptions {
  /** Seconds browsers keep to HTTPS; default 31 536 000 (a year). */
  maxAge?: number;
  /** Subdomains too; default `true`. */
  includeSubDomains?: boolean;
  /** Ask to be in browsers' preload list; default `false`. */
  preload?: boolean;
}

/** Options of {@link SecurityHeadersMiddleware}: every header defaults to helmet 8's value; `false` leaves it out. */
export interface SecurityHeadersOptions {
  /** `Content-Security-Policy`: helmet's default policy, changed by `directives`. */
  contentSecurityPolicy?: CSPOptions | false;
  /**
   * Make a fresh nonce per request (`request.cspNonce`) and add `'nonce-…'` to `script-src` and
   * `style-src`: `<script nonce="${request.cspNonce}">` runs, an injected script does not. A nonce
   * makes browsers ignore `'unsafe-inline'` in the same directive. Default `false`.
   */
  cspNonce?: boolean;
  /** `Cross-Origin-Embedder-Policy`; off by default, as in helmet 8. */
  crossOriginEmbedderPolicy?: 'require-corp' | 'credentialless' | 'unsafe-none' | false;
  /** `Cross-Origin-Opener-Policy`; default `same-origin`. */
  crossOriginOpenerPolicy?: 'same-origin' | 'same-origin-allow-popups' | 'unsafe-none' | false;
  /** `Cross-Origin-Resource-Policy`; default `same-origin`. */
  crossOriginResourcePolicy?: 'same-origin' | 'same-site' | 'cross-origin' | false;
  /** `Origin-Agent-Cluster: ?1`; default on. */
  originAgentCluster?: boolean;
  /** `Referrer-Policy`, one or more policies; default `no-referrer`. */
  referrerPolicy?: string | readonly string[] | false;
  /** `Strict-Transport-Security`; default one year with `includeSubDomains`. */
  strictTransportSecurity?: HSTSOptions | false;
  /** `X-Content-Type-Options: nosniff`; default on. */
  xContentTypeOptions?: boolean;
  /** `X-DNS-Prefetch-Control`; default `off`. */
  xDnsPrefetchControl?: 'on' | 'off' | false;
  /** `X-Download-Options: noopen`; default on. */
  xDownloadOptions?: boolean;
  /** `X-Frame-Options`; default `SAMEORIGIN`. */
  xFrameOptions?: 'SAMEORIGIN' | 'DENY' | false;
  /** `X-Permitted-Cross-Domain-Policies`; default `none`. */
  xPermittedCrossDomainPolicies?: 'none' | 'master-only' | 'by-content-type' | 'all' | false;
  /** `X-XSS-Protection: 0` (turns off the buggy XSS auditor of old browsers); default on. */
  xXssProtection?: boolean;
}

const REFERRER_POLICIES = new Set(['no-referrer', 'no-referrer-when-downgrade', 'same-origin', 'origin', 'strict-origin', 'origin-when-cross-origin', 'strict-origin-when-cross-origin', 'unsafe-url', '']);

/** The fixed headers `options` give, in helmet's order. */
function fixedHeaders(options: SecurityHeadersOptions): Array<[string, string]> {
  const headers: Array<[string, string | false | undefined]> = [
    ['cross-origin-embedder-policy', options.crossOriginEmbedderPolicy ?? false],
    ['cross-origin-opener-policy', options.crossOriginOpenerPolicy ?? 'same-origin'],
    ['cross-origin-resource-policy', options.crossOriginResourcePolicy ?? 'same-origin'],
    ['origin-agent-cluster', options.originAgentCluster === false ? false : '?1'],
    ['referrer-policy', referrer(options.referrerPolicy)],
    ['strict-transport-security', hsts(options.strictTransportSecurity)],
    ['x-content-type-options', options.xContentTypeOptions === false ? false : 'nosniff'],
    ['x-dns-prefetch-control', options.xDnsPrefetchControl ?? 'off'],
    ['x-download-options', options.xDownloadOptions === false ? false : 'noopen'],
    ['x-frame-options', options.xFrameOptions ?? 'SAMEORIGIN'],
    ['x-permitted-cross-domain-policies', options.xPermittedCrossDomainPolicies ?? 'none'],
    ['x-xss-protection', options.xXssProtection === false ? false : '0'],
  ];
  return headers.filter((entry): entry is [string, string] => typeof entry[1] === 'string');
}

function referrer(policy: SecurityHeadersOptions['referrerPolicy']): string | false {
  if (policy === false) return false;
  const policies = policy === undefined ? ['no-referrer'] : typeof policy === 'string' ? [policy] : [...policy];
  for (const p of policies) if (!REFERRER_POLICIES.has(p)) throw new TypeError(`Invalid Referrer-Policy ${JSON.stringify(p)}`);
  return policies.join(',');
}

function hsts(option: SecurityHeadersOptions['strictTransportSecurity']): string | false {
  if (option === false) return false;
  const maxAge = option?.maxAge ?? 31_536_000;
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new TypeError(`Strict-Transport-Security maxAge must be a whole number of seconds, not ${maxAge}`);
  return `max-age=${maxAge}${option?.includeSubDomains === false ? '' : '; includeSubDomains'}${option?.preload ? '; preload' : ''}`;
}

const APPLIED = Symbol('stackware.securityHeaders');

/**
 * helmet's headers for every response: helmet 8's default set and values, each changed or left
 * out by its option, and no `X-Powered-By`. A header the endpoint set itself is kept. Given again
 * in a route's (or mount's) `middleware` list, its options replace the application's for that
 * route, whole. With `cspNonce`, every request gets a fresh `request.cspNonce` in the policy.
 */
export class SecurityHeadersMiddleware extends BaseHTTPMiddleware<SecurityHeadersOptions | undefined> {
  private readonly headers: Array<[string, string]>;
  private readonly csp: CompiledCSP | undefined;
  private readonly nonce: boolean;

  constructor(app: HTTPApp, options?: SecurityHeadersOptions) {
    super(app, options);
    const opts = options ?? {};
    this.nonce = opts.cspNonce === true;
    if (this.nonce && opts.contentSecurityPolicy === false) throw new TypeError('cspNonce needs a contentSecurityPolicy');
    this.csp = opts.contentSecurityPolicy === false ? undefined : compileCSP(opts.contentSecurityPolicy ?? {}, this.nonce);
    this.headers = fixedHeaders(opts);
  }

  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    if (this.nonce && findCspNonce(request) === undefined) setCspNonce(request, randomBytes(16).toString('base64'));
    const response = await callNext(request);
    const marked = request as Request & { [APPLIED]?: true };
    if (marked[APPLIED]) return response;
    marked[APPLIED] = true;
    const headers = response.headers;
    if (this.csp !== undefined && !headers.has(this.csp.header)) headers.set(this.csp.header, this.csp.value(this.nonce ? findCspNonce(request) : undefined));
    for (const [name, value] of this.headers) if (!headers.has(name)) headers.set(name, value);
    headers.delete('x-powered-by');
    return response;
  }
}
