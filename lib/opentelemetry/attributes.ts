// The stable HTTP server semantic conventions (https://opentelemetry.io/docs/specs/semconv/http/),
// computed from a stackware Request. Names are written out: @opentelemetry/semantic-conventions is
// not a dependency.
import type { Attributes } from '@opentelemetry/api';
import type { Request } from '../requests';

/** Methods kept as they are in `http.request.method`; any other is `_OTHER`. */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** Query parameters whose values the conventions say to redact (signed-URL secrets), as instrumentation-http does. */
const SECRET_QUERY_PARAMS = /(?:^|&)(AWSAccessKeyId|Signature|sig|X-Goog-Signature)=[^&]*/g;

/** The `http.request.method` value: the method when it is a standard one, else `_OTHER`. */
export function semconvMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/**
 * The span name the conventions ask for: `{method} {route}`, or `{method}` alone when no route
 * matched; `HTTP` stands for a method outside the standard ones.
 */
export function spanName(method: string, route: string | undefined): string {
  const name = method === '_OTHER' ? 'HTTP' : method;
  return route === undefined ? name : `${name} ${route}`;
}

/** `host` (a `Host` header value, maybe `[::1]:8000`) split into `server.address` and `server.port`. */
export function serverAddress(host: string, scheme: string): { address: string; port: number | undefined } {
  const close = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = host.indexOf(':', close + 1);
  const address = colon === -1 ? host : host.slice(0, colon);
  const port = colon === -1 ? defaultPort(scheme) : Number(host.slice(colon + 1));
  return { address: close === -1 ? address : address.slice(1, close), port: Number.isInteger(port) ? port : undefined };
}

function defaultPort(scheme: string): number | undefined {
  return scheme === 'https' || scheme === 'wss' ? 443 : scheme === 'http' || scheme === 'ws' ? 80 : undefined;
}

/** The query string with the values of signed-URL secrets replaced by `REDACTED`. */
export function redactQuery(query: string): string {
  return query.replace(SECRET_QUERY_PARAMS, (match, name: string) => `${match.startsWith('&') ? '&' : ''}${name}=REDACTED`);
}

/**
 * What the connection says, read when the span starts and again when the response has finished:
 * a `ProxyHeadersMiddleware` inside this one corrects the client, scheme and host only after the
 * span started, and the finished span carries the corrected values.
 */
export function connectionAttributes(request: Request, into: Attributes): Attributes {
  const scheme = request.scheme;
  into['url.scheme'] = scheme;
  const host = request.host;
  if (host !== null) {
    const { address, port } = serverAddress(host, scheme);
    into['server.address'] = address;
    if (port !== undefined) into['server.port'] = port;
  }
  const client = request.client;
  if (client !== null) into['client.address'] = client.host;
  return into;
}

/** The attributes known when the request arrives (given to the sampler). */
export function requestAttributes(request: Request, method: string): Attributes {
  const attributes: Attributes = { 'http.request.method': method };
  if (method !== request.method) attributes['http.request.method_original'] = request.method;
  const url = request.url;
  attributes['url.path'] = url.pathname;
  if (url.search.length > 1) attributes['url.query'] = redactQuery(url.search.slice(1));
  connectionAttributes(request, attributes);
  const userAgent = request.headers.get('user-agent');
  if (userAgent !== null) attributes['user_agent.original'] = userAgent;
  attributes['network.protocol.version'] = request.httpVersion;
  return attributes;
}

/**
 * The attributes of the `http.server.request.duration` measurement: bounded ones only (the route
 * template, never the raw path).
 */
export function durationAttributes(method: string, scheme: string, protocol: string, statusCode: number, route: string | undefined, errorType: string | undefined): Attributes {
  const attributes: Attributes = {
    'http.request.method': method,
    'url.scheme': scheme,
    'network.protocol.version': protocol,
    'http.response.status_code': statusCode,
  };
  if (route !== undefined) attributes['http.route'] = route;
  if (errorType !== undefined) attributes['error.type'] = errorType;
  return attributes;
}
