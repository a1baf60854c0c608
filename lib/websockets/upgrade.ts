import type { Headers } from '../headers';
import { Response } from '../responses';
import type { ResolvedWebSocketLimits, WebSocketConnection } from './connection';

/**
 * The answer to an accepted handshake: a `101 Switching Protocols` whose body is the websocket
 * session. It travels out through the middleware like any response (headers they add are sent on
 * the 101); the adapter then upgrades the connection and opens the session. When the handshake is answered
 * with anything else (a middleware replaced it, a timeout), the session is refused.
 */
export class WebSocketUpgrade extends Response {
  /** The subprotocol the handler accepted, if any. */
  readonly subprotocol: string | undefined;
  /** The limits of the connection (the route's, the application's, the defaults). */
  readonly limits: ResolvedWebSocketLimits;
  /** @internal Settles once the handler has returned or thrown, and the connection closed (after an `open`) or was refused. */
  readonly ended: Promise<void>;
  #open: (connection: WebSocketConnection) => void;
  #refuse: () => void;

  /** @internal Made by `WebSocket.accept()`. */
  constructor(
    subprotocol: string | undefined,
    limits: ResolvedWebSocketLimits,
    hooks: { open(connection: WebSocketConnection): void; refuse(): void; ended: Promise<void> },
  ) {
    super(null, { statusCode: 101 });
    this.headers.delete('content-length');
    this.subprotocol = subprotocol;
    this.limits = limits;
    this.ended = hooks.ended;
    this.#open = hooks.open;
    this.#refuse = hooks.refuse;
  }

  /** @internal Called by the adapter once the 101 was written: `accept()` resolves. */
  open(connection: WebSocketConnection): void {
    this.#open(connection);
  }

  /** @internal Called when the 101 will never be sent: `accept()` rejects with a `WebSocketDisconnect` (1006). */
  refuse(): void {
    this.#refuse();
  }
}

/** Headers a middleware or `accept({ headers })` may not put on a 101: the adapter writes these itself. */
const HANDSHAKE_OWNED = new Set([
  'connection',
  'upgrade',
  'content-length',
  'content-type',
  'transfer-encoding',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

/** The `Name: value` lines of `headers` to add to a 101, those the handshake owns left out. */
export function upgradeHeaderLines(headers: Headers): string[] {
  const lines: string[] = [];
  const flat = headers.toFlatList();
  for (let i = 0; i < flat.length; i += 2) {
    const name = String(flat[i]);
    if (!HANDSHAKE_OWNED.has(name.toLowerCase())) lines.push(`${name}: ${String(flat[i + 1])}`);
  }
  return lines;
}
