/** Close codes of RFC 6455 §7.4.1 that the server sends or reports (Starlette's `status.WS_*`). */
export const WebSocketCloseCode = {
  /** The purpose of the connection was fulfilled. */
  NormalClosure: 1000,
  /** The server is going down (graceful shutdown), or the client navigated away. */
  GoingAway: 1001,
  /** A protocol error. */
  ProtocolError: 1002,
  /** A message of a type the endpoint cannot take. */
  UnsupportedData: 1003,
  /** No close frame came: the connection dropped (never sent on the wire). */
  AbnormalClosure: 1006,
  /** A message that breaks the endpoint's policy. */
  PolicyViolation: 1008,
  /** A message larger than the endpoint's `maxMessageSize`. */
  MessageTooBig: 1009,
  /** The handler failed. */
  InternalError: 1011,
} as const;

/**
 * Starlette's `WebSocketDisconnect`: the peer closed the connection (or it dropped, code 1006).
 * `receive*()` rejects with it, and a `send*()` on a closed connection does too.
 */
export class WebSocketDisconnect extends Error {
  /** Always `WebSocketDisconnect`. */
  override readonly name = 'WebSocketDisconnect';

  /**
   * @param code - the close code (1000 by default; 1006 when the connection dropped without one).
   * @param reason - the close reason, `''` when none was given.
   */
  constructor(
    readonly code: number = 1000,
    readonly reason: string = '',
  ) {
    super(`WebSocket disconnected with code ${code}${reason === '' ? '' : `: ${reason}`}`);
  }
}

/**
 * Starlette's `WebSocketException`: thrown by a handler (or a dependency it calls), it closes the
 * connection with `code` and `reason` and is not logged. Before `accept()` the client gets an HTTP 403.
 */
export class WebSocketException extends Error {
  /** Always `WebSocketException`. */
  override readonly name = 'WebSocketException';

  /**
   * @param code - the close code to send (1008, policy violation, is the usual one).
   * @param reason - the close reason, at most 123 bytes.
   */
  constructor(
    readonly code: number,
    readonly reason: string = '',
  ) {
    super(`WebSocket closed with code ${code}${reason === '' ? '' : `: ${reason}`}`);
  }
}

/** Starlette's `WebSocketState`: where one side of a websocket stands. */
export const WebSocketState = {
  /** The handshake has not been answered yet. */
  Connecting: 'connecting',
  /** Accepted, open. */
  Connected: 'connected',
  /** Closed (or refused). */
  Disconnected: 'disconnected',
  /** Answered with an HTTP response instead (`sendDenialResponse`, or a close before `accept`). */
  Response: 'response',
} as const;
/** One of the values of {@link WebSocketState}. */
export type WebSocketState = (typeof WebSocketState)[keyof typeof WebSocketState];
