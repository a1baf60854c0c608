// What a Request is made of and reads: the adapter's side (RequestSource), the application's side
// (RequestApp), what a middleware may correct (ConnectionOverride), and the route that answered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Headers } from './headers';
import { isValidHost } from './host';
import type { HTTPApp } from './middleware/base';
import type { ErrorLogger } from './middleware/errors';
import type { ExceptionHandlers } from './middleware/exceptions';
import type { PoisoningOptions } from './poisoning';
import type { Request } from './requests';

/** The peer of the connection. */
export interface Client {
  /** Its IP address. */
  host: string;
  /** Its TCP port. */
  port: number;
}

/**
 * What a middleware says about the connection that the adapter could not know: behind a proxy, the
 * client's address, the scheme it used and the host it asked for. Given to
 * {@link Request.setConnection}; each field left out keeps what the connection says.
 */
export interface ConnectionOverride {
  /** The client (`null`: unknown). */
  client?: Client | null;
  /** The scheme the client used. */
  scheme?: 'http' | 'https' | 'ws' | 'wss';
  /** The host and optional port the client asked for, as a `Host` header would carry them. */
  host?: string;
}

const SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss']);

/** @internal Throws a `TypeError` for a scheme or host a {@link ConnectionOverride} may not carry. */
export function checkConnectionOverride(override: ConnectionOverride): void {
  if (override.scheme !== undefined && !SCHEMES.has(override.scheme)) {
    throw new TypeError(`Invalid scheme: ${JSON.stringify(override.scheme)} (http, https, ws or wss)`);
  }
  if (override.host !== undefined && !isValidHost(override.host)) throw new TypeError(`Invalid host: ${JSON.stringify(override.host)}`);
}

/**
 * What an adapter hands to a {@link Request}: the raw parts of the incoming message, read lazily.
 * Only adapters implement it; nothing else in the stack knows which adapter is in front.
 */
export interface RequestSource {
  /** The request method, as received. */
  readonly method: string;
  /** The request target as received: path and query, still percent-encoded. */
  readonly target: string;
  /** `http` or `https`. */
  readonly scheme: string;
  /** The HTTP version of the request line (`1.1`, `1.0`, `2.0`), when the adapter knows it. */
  readonly httpVersion?: string;
  /** The request headers; called once, on first access to {@link Request.headers}. */
  headers(): Headers;
  /** The peer of the connection, or null when the adapter does not know it. */
  client(): Client | null;
  /** The raw body, in chunks as they arrive. Called at most once. */
  body(): AsyncIterable<Uint8Array>;
  /** Calls `listener` once if the client goes away before the response is complete. */
  onDisconnect(listener: () => void): void;
  /** True once the client went away before the response was complete. */
  disconnected?(): boolean;
  /** The Node objects of the request, for Connect middleware (lib/connect/); only the Node adapter has them. */
  node?(): NodeMessage;
  /** True for a websocket handshake that this adapter can upgrade. */
  readonly isWebSocket?: boolean;
}

/** A request's `IncomingMessage` and `ServerResponse`, as the Node adapter holds them. */
export interface NodeMessage {
  /** The request, as `node:http` gave it. */
  readonly req: IncomingMessage;
  /** The response, as `node:http` gave it. */
  readonly res: ServerResponse;
}

/** The application-level settings a request reads (kept small so any `HTTPApp` can be an app). */
export interface RequestApp extends HTTPApp, PoisoningOptions {
  /** The largest request body read, in bytes; 1 MiB when absent. */
  readonly maxBodySize?: number;
  /** Seconds a response may wait for the client to take a byte before it is aborted (Node adapter); 60 when absent, 0 for none. */
  readonly sendTimeout?: number;
  /** Seconds the rest of an upload is read and discarded after an early answer (Node adapter); 5 when absent. */
  readonly lingeringTimeout?: number;
  /** Bytes of an upload read and discarded after an early answer before the connection is closed (Node adapter); 16 MiB when absent. */
  readonly lingeringMaxBytes?: number;
  /** The handlers answering an `HTTPException` caught by a middleware layer; only the default one when absent. */
  readonly exceptionHandlers?: ExceptionHandlers;
  /** Where middleware reports errors; `console` when absent. */
  readonly logger?: ErrorLogger;
  /** Debug mode: a 500 shows the stack trace, and the 500/`Error` handler is not called. */
  readonly debug?: boolean;
  /** What the lifespan's startup yielded; copied into each request's {@link Request.state}. */
  readonly lifespanState?: Record<string, unknown>;
  /** The route template routing would give `request`, before routing runs (see `Router.templateFor`). */
  routeTemplateFor?(request: Request): string | undefined;
  /** Reverse routing: the path of the route named `name`; {@link Request.urlFor} asks the application for it. */
  urlPathFor?(name: string, params?: Readonly<Record<string, unknown>>): string;
}

/** The route that answered a request, as {@link Request.route} shows it: a `Route` or a `Mount`. */
export interface MatchedRoute {
  /** Its path template (a route's `/items/{id:int}`) or prefix (a mount's `/static`). */
  readonly path: string;
  /** Its name, if it has one. */
  readonly name?: string;
  /** The methods it answers; undefined for a mount, which takes any. */
  readonly methods?: ReadonlySet<string>;
}
