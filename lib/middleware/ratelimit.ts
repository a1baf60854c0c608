import { clientAddressKey } from '../ratelimit/client-key';
import { OutageLog } from '../ratelimit/outage';
import type { Request } from '../requests';
import { JSONResponse, type Response } from '../responses';
import { MemoryStore } from '../stores/memory';
import type { Store, WindowHit } from '../stores/store';
import { BaseHTTPMiddleware, type CallNext, type HTTPApp } from './base';
import type { ErrorLogger } from './errors';

/** Options of {@link RateLimitMiddleware}. */
export interface RateLimitOptions {
  /** Requests let through per key in any `window` seconds. */
  limit: number;
  /** The window, in seconds. It slides: no span of `window` seconds ever holds more than `limit` requests. */
  window: number;
  /**
   * The key requests are counted under; null or undefined lets the request through uncounted.
   * Default: the client address as `request.client` gives it (corrected by `ProxyHeadersMiddleware`
   * behind a trusted proxy), IPv6 grouped by /64.
   */
  key?: (request: Request) => string | null | undefined | Promise<string | null | undefined>;
  /** Requests for which this returns true are neither counted nor limited. */
  skip?: (request: Request) => boolean | Promise<boolean>;
  /**
   * Where the windows live. Default: a {@link MemoryStore}, per process, one per options object: a
   * limiter given as router middleware is built once per route, and all of them count together.
   */
  store?: Store;
  /**
   * What to do when the store fails: true lets requests through unlimited, false (the default)
   * answers 503. Either way the outage is logged once, and limits apply again when the store answers.
   */
  failOpen?: boolean;
  /** The name of the policy in the `RateLimit` and `RateLimit-Policy` headers; `'default'` by default. */
  policyName?: string;
  /** Prefix of the store keys, so several limiters can share one store; `'ratelimit:'` by default. */
  keyPrefix?: string;
  /** Where outages are reported; the application's logger by default, `console` without one. */
  logger?: ErrorLogger;
}

const POLICY_NAME = /^[A-Za-z*][A-Za-z0-9_.*:/-]*$/;

/** The default store of each options object, shared by the instances built from it (one per route of a router). */
const defaultStores = new WeakMap<RateLimitOptions, Store>();

function defaultStore(options: RateLimitOptions): Store {
  let store = defaultStores.get(options);
  if (store === undefined) defaultStores.set(options, (store = new MemoryStore()));
  return store;
}

/**
 * Limits each client to `limit` requests in any `window` seconds, with a sliding window kept in a
 * {@link Store} (Redis for limits that hold across processes and machines). Over the limit the
 * answer is 429 `{"detail": "Too Many Requests"}` with `Retry-After`; every answer carries the
 * IETF `RateLimit-Policy` and `RateLimit` headers. slowapi's `Limiter`, `@fastify/rate-limit`.
 *
 * @example
 * ```ts
 * app.addMiddleware(RateLimitMiddleware, { limit: 100, window: 60 });
 * ```
 */
export class RateLimitMiddleware extends BaseHTTPMiddleware<RateLimitOptions> {
  private readonly store: Store;
  private readonly windowMs: number;
  private readonly policyHeader: string;
  private readonly policyName: string;
  private readonly keyPrefix: string;
  private outage: OutageLog | undefined;

  constructor(app: HTTPApp, options: RateLimitOptions) {
    super(app, options);
    if (!Number.isInteger(options?.limit) || options.limit < 1) throw new TypeError('RateLimitMiddleware: limit must be a positive integer');
    if (typeof options.window !== 'number' || !(options.window > 0) || !Number.isFinite(options.window)) {
      throw new TypeError('RateLimitMiddleware: window must be a positive number of seconds');
    }
    this.policyName = options.policyName ?? 'default';
    if (!POLICY_NAME.test(this.policyName)) throw new TypeError(`RateLimitMiddleware: invalid policyName ${JSON.stringify(this.policyName)}`);
    this.store = options.store ?? defaultStore(options);
    this.windowMs = options.window * 1000;
    this.keyPrefix = options.keyPrefix ?? 'ratelimit:';
    this.policyHeader = `"${this.policyName}";q=${options.limit};w=${Math.ceil(options.window)}`;
  }

  override async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const { options } = this;
    if (options.skip !== undefined && (await options.skip(request))) return callNext(request);
    const key = options.key !== undefined ? await options.key(request) : request.client === null ? null : clientAddressKey(request.client.host);
    if (key === null || key === undefined) return callNext(request);

    let hit: WindowHit;
    try {
      hit = await this.store.hit(this.keyPrefix + key, options.limit, this.windowMs);
      this.outageLog(request).succeeded();
    } catch (error) {
      this.outageLog(request).failed(error, options.failOpen === true ? 'letting requests through unlimited' : 'answering 503');
      if (options.failOpen === true) return callNext(request);
      return new JSONResponse({ detail: 'Service Unavailable' }, { statusCode: 503, headers: { 'retry-after': '1' } });
    }

    const resetSeconds = Math.max(0, Math.ceil(hit.resetMs / 1000));
    const remaining = Math.max(0, options.limit - hit.count);
    const state = `"${this.policyName}";r=${remaining};t=${hit.allowed ? resetSeconds : Math.max(1, resetSeconds)}`;
    let response: Response;
    if (hit.allowed) response = await callNext(request);
    else {
      response = new JSONResponse({ detail: 'Too Many Requests' }, { statusCode: 429 });
      response.headers.set('retry-after', String(Math.max(1, resetSeconds)));
    }
    response.headers.set('ratelimit-policy', this.policyHeader);
    response.headers.set('ratelimit', state);
    return response;
  }

  private outageLog(request: Request): OutageLog {
    this.outage ??= new OutageLog(this.options.logger ?? request.app?.logger ?? console, 'RateLimitMiddleware');
    return this.outage;
  }
}
