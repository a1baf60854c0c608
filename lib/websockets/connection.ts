// What the WebSocket class needs from an open connection, whichever adapter made it, and the
// limits an adapter applies to one.

/** A text message received. */
export interface WebSocketTextMessage {
  /** Always `websocket.receive`. */
  readonly type: 'websocket.receive';
  /** The text. */
  readonly text: string;
  /** Absent: a text message. */
  readonly bytes?: undefined;
}

/** A binary message received. */
export interface WebSocketBytesMessage {
  /** Always `websocket.receive`. */
  readonly type: 'websocket.receive';
  /** The bytes. */
  readonly bytes: Uint8Array;
  /** Absent: a binary message. */
  readonly text?: undefined;
}

/** The client closed (or the connection dropped: code 1006). */
export interface WebSocketDisconnectMessage {
  /** Always `websocket.disconnect`. */
  readonly type: 'websocket.disconnect';
  /** The close code. */
  readonly code: number;
  /** The close reason, `''` when none was given. */
  readonly reason: string;
}

/** A message as `WebSocket.receive()` gives it (Starlette's ASGI message, camelCase). */
export type WebSocketMessage = WebSocketTextMessage | WebSocketBytesMessage | WebSocketDisconnectMessage;

/** An open websocket connection, as an adapter hands it to the session after the `101`. */
export interface WebSocketConnection {
  /** The subprotocol agreed on, `''` for none. */
  readonly protocol: string;
  /** The next message; a `websocket.disconnect` once the connection is closed (and on every call after). */
  receive(): Promise<WebSocketMessage>;
  /**
   * Sends one message. Resolves once the connection can take more: at once while little is
   * buffered, else when the buffer drained. Rejects with a `WebSocketDisconnect` when closed.
   */
  send(data: string | Uint8Array): Promise<void>;
  /** Starts the closing handshake. */
  close(code: number, reason: string): void;
  /** Resolves once the connection is closed, with the close code and reason. */
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
}

/** Limits of a websocket connection (an application's `websocket` option, a route's options). */
export interface WebSocketLimits {
  /** The largest message taken, in bytes; a larger one closes the connection with 1009. Default 1 MiB. */
  maxMessageSize?: number;
  /** Seconds between keep-alive pings; 0 for none. Default 20 (uvicorn's `ws_ping_interval`). */
  pingInterval?: number;
  /** Seconds a ping waits for its pong before the connection is dropped as dead. Default 20. */
  pingTimeout?: number;
  /**
   * Bytes a connection may buffer before `send*()` waits for the client to take them
   * (backpressure). Default 64 KiB.
   */
  sendHighWaterMark?: number;
  /**
   * Seconds a `send*()` may wait for a client that takes no bytes before the connection is
   * dropped; 0 waits forever. Default: the application's `sendTimeout` (60 s).
   */
  sendTimeout?: number;
}

/** {@link WebSocketLimits} with every default filled in. */
export type ResolvedWebSocketLimits = Required<WebSocketLimits>;

/** The defaults of {@link WebSocketLimits}. */
export const DEFAULT_WEBSOCKET_LIMITS: Omit<ResolvedWebSocketLimits, 'sendTimeout'> = {
  maxMessageSize: 1024 * 1024,
  pingInterval: 20,
  pingTimeout: 20,
  sendHighWaterMark: 64 * 1024,
};

function check(name: string, value: number | undefined, min: number): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value >= min)) throw new TypeError(`${name} must be a number >= ${min}, got ${String(value)}`);
  return value;
}

/** Throws a `TypeError` for a limit that is not a number in range; returns `limits`. */
export function checkWebSocketLimits(limits: WebSocketLimits | undefined): WebSocketLimits {
  if (limits === undefined) return {};
  check('maxMessageSize', limits.maxMessageSize, 1);
  check('pingInterval', limits.pingInterval, 0);
  check('pingTimeout', limits.pingTimeout, 0);
  check('sendHighWaterMark', limits.sendHighWaterMark, 0);
  check('sendTimeout', limits.sendTimeout, 0);
  return limits;
}
