import { isIP } from 'node:net';
import { isValidHost } from '../host';
import { forwardedAddress, parseForwarded, type ForwardedElement } from '../proxy/forwarded';
import { TrustedProxies } from '../proxy/trusted-proxies';
import type { ConnectionOverride, Request } from '../requests';
import type { Response } from '../responses';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';

/** Options of {@link ProxyHeadersMiddleware}. */
export interface ProxyHeadersOptions {
  /**
   * The proxies whose headers are believed: IPv4/IPv6 addresses, CIDR networks (`10.0.0.0/8`),
   * literals compared as they are, or `'*'` for any peer; a list or one comma-separated string.
   * Default `['127.0.0.1']`, as uvicorn's `forwarded_allow_ips`.
   */
  trustedHosts?: string | readonly string[];
  /** Also take the host from `X-Forwarded-Host` (or `Forwarded: host=`). Default `false`: only when your proxy sets it. */
  trustForwardedHost?: boolean;
}

const PROTOS: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss']);

/** An HTTP request's scheme from a forwarded protocol: `ws`/`wss` as `http`/`https`. */
function httpScheme(proto: string | undefined): 'http' | 'https' | undefined {
  const value = proto?.trim().toLowerCase();
  if (value === undefined || !PROTOS.has(value)) return undefined;
  return value === 'https' || value === 'wss' ? 'https' : 'http';
}

/** The last comma-separated value of a header: the one the nearest (trusted) proxy set. */
function lastValue(header: string | null): string | undefined {
  if (header === null) return undefined;
  const values = header.split(',');
  return values[values.length - 1].trim();
}

/**
 * uvicorn's `ProxyHeadersMiddleware`: behind a trusted proxy, tells the application who the client
 * is and which scheme (and, on request, host) it used, through {@link Request.setConnection}.
 * Only when the connection's peer is one of `trustedHosts`:
 *
 * - the RFC 7239 `Forwarded` header, when present, is read: its `for` values walked from the right,
 *   the first untrusted one is the client, and that element's `proto` (and `host`) are the scheme
 *   (and host) it used;
 * - otherwise `X-Forwarded-For` (several headers merged) is walked the same way, and the last
 *   `X-Forwarded-Proto` value (`http`, `https`, `ws`, `wss`) is the scheme;
 * - `X-Forwarded-Host` only with `trustForwardedHost`.
 *
 * An untrusted peer's headers are ignored entirely. A malformed value is ignored, never thrown on:
 * a client that is not an IP address, a host that is not a valid `Host`, a `Forwarded` header that
 * does not parse. The client's port is not forwarded, so it is 0, as in uvicorn.
 *
 * Install it outermost (add it last), so every other layer sees the client's view.
 *
 * @example
 * ```ts
 * app.addMiddleware(ProxyHeadersMiddleware, { trustedHosts: ['10.0.0.0/8'] });
 * ```
 */
export class ProxyHeadersMiddleware extends BaseHTTPMiddleware<ProxyHeadersOptions> {
  private readonly trusted: TrustedProxies;
  private readonly trustForwardedHost: boolean;

  constructor(app: HTTPApp, options: ProxyHeadersOptions = {}) {
    super(app, options);
    this.trusted = new TrustedProxies(options.trustedHosts ?? ['127.0.0.1']);
    this.trustForwardedHost = options.trustForwardedHost ?? false;
  }

  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    if (this.trusted.has(request.client?.host)) {
      const override = this.overrideFor(request);
      if (override !== null) request.setConnection(override);
    }
    return callNext(request);
  }

  /** What the trusted proxy's headers say, or null when they say nothing usable. */
  private overrideFor(request: Request): ConnectionOverride | null {
    const headers = request.headers;
    const forwarded = headers.get('forwarded');
    const elements = forwarded === null ? null : parseForwarded(forwarded);
    if (elements !== null && elements.length > 0) return this.fromForwarded(elements);
    const override: ConnectionOverride = {};
    const scheme = httpScheme(lastValue(headers.get('x-forwarded-proto')));
    if (scheme !== undefined) override.scheme = scheme;
    const chain = headers.get('x-forwarded-for');
    if (chain !== null) {
      const client = this.trusted.clientOf(chain.split(','));
      if (isIP(client) !== 0) override.client = { host: client, port: 0 };
    }
    if (this.trustForwardedHost) {
      const host = lastValue(headers.get('x-forwarded-host'));
      if (host !== undefined && isValidHost(host)) override.host = host;
    }
    return Object.keys(override).length === 0 ? null : override;
  }

  private fromForwarded(elements: readonly ForwardedElement[]): ConnectionOverride | null {
    // The element of the first untrusted `for`, walking from the right; the leftmost if all are trusted.
    let chosen = elements[0];
    if (!this.trusted.trustsAll) {
      for (let i = elements.length - 1; i >= 0; i--) {
        const address = elements[i].for === undefined ? '' : forwardedAddress(elements[i].for as string);
        chosen = elements[i];
        if (!this.trusted.has(address)) break;
      }
    }
    const override: ConnectionOverride = {};
    const address = chosen.for === undefined ? '' : forwardedAddress(chosen.for);
    if (isIP(address) !== 0) override.client = { host: address, port: 0 };
    const scheme = httpScheme(chosen.proto);
    if (scheme !== undefined) override.scheme = scheme;
    if (this.trustForwardedHost && chosen.host !== undefined && isValidHost(chosen.host)) override.host = chosen.host;
    return Object.keys(override).length === 0 ? null : override;
  }
}
