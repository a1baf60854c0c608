import type { Request } from '../requests';
import { Headers, type HeadersInit } from '../headers';
import { Response } from '../responses';
import { HTTPConnection } from './http-connection';
import type { ResolvedWebSocketLimits, WebSocketConnection, WebSocketMessage } from './connection';
import { WebSocketDisconnect, WebSocketException, WebSocketState } from './errors';
import { WebSocketUpgrade } from './upgrade';

/** Options of {@link WebSocket.accept}. */
export interface AcceptOptions {
  /** The subprotocol chosen among those the client offered ({@link WebSocket.subprotocols}). */
  subprotocol?: string;
  /** Headers added to the `101 Switching Protocols`. */
  headers?: HeadersInit;
}

/** How {@link WebSocket.sendJson} and {@link WebSocket.receiveJson} frame JSON: a text message or UTF-8 bytes. */
export type JsonMode = 'text' | 'binary';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function checkMode(mode: string): void {
  if (mode !== 'text' && mode !== 'binary') throw new TypeError(`The "mode" argument should be "text" or "binary", got ${JSON.stringify(mode)}`);
}

/** @internal What the route's endpoint and the adapter see of a websocket's handshake. */
export interface HandshakeControl {
  /** Resolves with the handshake's answer: a `WebSocketUpgrade`, a 403, a denial response. */
  readonly answer: Promise<Response>;
  /** Called when the handler settled, with its error if it threw. */
  handlerSettled(error: unknown, failed: boolean): boolean;
}

/**
 * One websocket, in Starlette's shape: the handler receives it, accepts it (or refuses it), then
 * sends and receives messages until one side closes. Its handshake went through the same
 * middleware as any request: {@link WebSocket.request} is that request, so `state`, the session,
 * the user and dependencies set up by middleware are here too.
 *
 * @typeParam State - the type of `request.state`.
 * @typeParam Params - the path parameters of the route's template.
 */
export class WebSocket<State extends object = Record<string, unknown>, Params extends object = Record<string, unknown>> extends HTTPConnection<State, Params> {
  /** Where the client side stands: `connecting` until the handshake, `disconnected` once it closed. */
  clientState: WebSocketState = WebSocketState.Connecting;
  /** Where the application side stands: `connected` after `accept()`, `disconnected` after `close()`. */
  applicationState: WebSocketState = WebSocketState.Connecting;
  #connection: WebSocketConnection | undefined;
  #upgrade: WebSocketUpgrade | undefined;
  #accepted: Promise<void> | undefined;
  readonly #limits: ResolvedWebSocketLimits;
  readonly #answer: { resolve(response: Response): void; reject(error: unknown): void; settled: boolean };
  readonly #control: HandshakeControl;
  #endSession: (() => void) | undefined;
  #answered = false;
  #disconnectReceived = false;

  /** @internal Made by the websocket route for each handshake. */
  constructor(request: Request<State, Params>, limits: ResolvedWebSocketLimits) {
    super(request);
    this.#limits = limits;
    let resolve!: (response: Response) => void;
    let reject!: (error: unknown) => void;
    const answer = new Promise<Response>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const state = { resolve, reject, settled: false };
    this.#answer = state;
    this.#control = {
      answer,
      handlerSettled: (error, failed) => this.#handlerSettled(error, failed),
    };
    // The handshake's answer went out: if it was not this socket's 101, the socket never opens.
    (request as Request).onFinish(() => {
      this.#answered = true;
      this.#upgrade?.refuse();
    });
  }

  /** @internal */
  get control(): HandshakeControl {
    return this.#control;
  }

  /** The subprotocols the client offered (`Sec-WebSocket-Protocol`), in its order. */
  get subprotocols(): string[] {
    const header = this.request.headers.get('sec-websocket-protocol');
    return header === null ? [] : header.split(',').map((p) => p.trim()).filter((p) => p !== '');
  }

  /** The subprotocol agreed on after `accept()`, `''` for none. */
  get subprotocol(): string {
    return this.#connection?.protocol ?? '';
  }

  /**
   * Accepts the handshake: the `101 Switching Protocols` (with `options.headers` and the headers
   * the middleware add on the way out) is sent, and the promise resolves once the socket is open.
   * Rejects with a `WebSocketDisconnect` (1006) when the 101 is never sent (a middleware answered
   * otherwise, a timeout, the client left).
   */
  accept(options: AcceptOptions = {}): Promise<void> {
    if (this.applicationState !== WebSocketState.Connecting || this.#answer.settled) {
      return Promise.reject(new Error(`Cannot call "accept" on a websocket that is ${this.applicationState}`));
    }
    if (this.#answered) {
      // Too late: another answer (a timeout's 504, say) already went out.
      this.applicationState = WebSocketState.Disconnected;
      this.clientState = WebSocketState.Disconnected;
      return Promise.reject(new WebSocketDisconnect(1006, 'The handshake was already answered'));
    }
    let open!: (connection: WebSocketConnection) => void;
    let refuse!: () => void;
    this.#accepted = new Promise<void>((resolve, reject) => {
      open = (connection) => {
        if (this.#connection !== undefined || this.clientState !== WebSocketState.Connecting) return;
        this.#connection = connection;
        this.clientState = WebSocketState.Connected;
        void connection.closed.then(() => (this.clientState = WebSocketState.Disconnected));
        resolve();
      };
      refuse = () => {
        if (this.clientState !== WebSocketState.Connecting) return;
        this.clientState = WebSocketState.Disconnected;
        this.applicationState = WebSocketState.Disconnected;
        reject(new WebSocketDisconnect(1006, 'The handshake was not accepted'));
        this.#endSession?.();
      };
    });
    this.#accepted.catch(() => undefined);
    const ended = new Promise<void>((resolve) => (this.#endSession = resolve));
    const upgrade = new WebSocketUpgrade(options.subprotocol, this.#limits, { open, refuse, ended });
    if (options.headers !== undefined) for (const [name, value] of new Headers(options.headers)) upgrade.headers.append(name, value);
    this.#upgrade = upgrade;
    this.applicationState = WebSocketState.Connected;
    this.#settle(upgrade);
    return this.#accepted;
  }

  /**
   * Answers the handshake with an HTTP response instead of accepting it (Starlette's
   * `send_denial_response`): the client sees its status, headers and body.
   */
  async sendDenialResponse(response: Response): Promise<void> {
    if (this.applicationState !== WebSocketState.Connecting || this.#answer.settled) {
      throw new Error('Cannot send a denial response once the websocket was accepted or closed');
    }
    if (!(response instanceof Response) || response instanceof WebSocketUpgrade) throw new TypeError('sendDenialResponse needs an HTTP Response');
    this.applicationState = WebSocketState.Response;
    this.#settle(response);
  }

  /** The next message as Starlette's ASGI message; a `websocket.disconnect` once the client closed. */
  async receive(): Promise<WebSocketMessage> {
    const message = await this.#pull();
    if (message.type === 'websocket.disconnect') this.#sawDisconnect();
    return message;
  }

  /** The next text message; rejects with a `WebSocketDisconnect` once the client closed, a `TypeError` for a binary one. */
  async receiveText(): Promise<string> {
    const message = await this.#receiveData();
    if (message.text === undefined) throw new TypeError('Expected a text message, got a binary one');
    return message.text;
  }

  /** The next binary message; rejects with a `WebSocketDisconnect` once the client closed, a `TypeError` for a text one. */
  async receiveBytes(): Promise<Uint8Array> {
    const message = await this.#receiveData();
    if (message.bytes === undefined) throw new TypeError('Expected a binary message, got a text one');
    return message.bytes;
  }

  /** The next message parsed as JSON: a text message (`mode: 'text'`, the default) or UTF-8 bytes (`'binary'`). */
  async receiveJson<T = unknown>(mode: JsonMode = 'text'): Promise<T> {
    checkMode(mode);
    const message = await this.#receiveData();
    const text = mode === 'text' ? message.text : message.bytes === undefined ? undefined : decoder.decode(message.bytes);
    if (text === undefined) throw new TypeError(`Expected a ${mode} message`);
    return JSON.parse(text) as T;
  }

  /** Sends a text message; waits while the client is slow to take what was sent (backpressure). */
  sendText(data: string): Promise<void> {
    if (typeof data !== 'string') return Promise.reject(new TypeError('sendText needs a string'));
    return this.#send(data);
  }

  /** Sends a binary message; waits while the client is slow to take what was sent (backpressure). */
  sendBytes(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) return Promise.reject(new TypeError('sendBytes needs a Uint8Array'));
    return this.#send(data);
  }

  /** Sends `data` as JSON: a text message (`mode: 'text'`, the default) or UTF-8 bytes (`'binary'`). */
  sendJson(data: unknown, mode: JsonMode = 'text'): Promise<void> {
    try {
      checkMode(mode);
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError('sendJson cannot send undefined');
      return this.#send(mode === 'text' ? text : encoder.encode(text));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Closes the websocket with `code` (1000 by default) and `reason`. Before `accept()` it refuses
   * the handshake: the client gets an HTTP 403 (as with Starlette and uvicorn).
   */
  async close(code = 1000, reason = ''): Promise<void> {
    if (this.applicationState === WebSocketState.Connecting && !this.#answer.settled) {
      this.applicationState = WebSocketState.Disconnected;
      this.#settle(new Response(null, { statusCode: 403 }));
      return;
    }
    if (this.applicationState === WebSocketState.Disconnected || this.applicationState === WebSocketState.Response) {
      throw new Error('Cannot call "close" on a websocket that is already closed');
    }
    await this.#accepted;
    this.applicationState = WebSocketState.Disconnected;
    (this.#connection as WebSocketConnection).close(code, reason);
  }

  /** The text messages until the client closes (then the loop ends, no error). */
  async *iterText(): AsyncGenerator<string> {
    for (;;) {
      const message = await this.#nextOrEnd();
      if (message === undefined) return;
      if (message.text === undefined) throw new TypeError('Expected a text message, got a binary one');
      yield message.text;
    }
  }

  /** The binary messages until the client closes (then the loop ends, no error). */
  async *iterBytes(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const message = await this.#nextOrEnd();
      if (message === undefined) return;
      if (message.bytes === undefined) throw new TypeError('Expected a binary message, got a text one');
      yield message.bytes;
    }
  }

  /** The messages parsed as JSON until the client closes. */
  async *iterJson<T = unknown>(mode: JsonMode = 'text'): AsyncGenerator<T> {
    checkMode(mode);
    for (;;) {
      try {
        yield await this.receiveJson<T>(mode);
      } catch (error) {
        if (error instanceof WebSocketDisconnect) return;
        throw error;
      }
    }
  }

  /** Every message, text as a string and binary as bytes, until the client closes. */
  async *[Symbol.asyncIterator](): AsyncGenerator<string | Uint8Array> {
    for (;;) {
      const message = await this.#nextOrEnd();
      if (message === undefined) return;
      yield message.text ?? (message.bytes as Uint8Array);
    }
  }

  async #nextOrEnd(): Promise<Extract<WebSocketMessage, { type: 'websocket.receive' }> | undefined> {
    const message = await this.#pull();
    if (message.type !== 'websocket.disconnect') return message;
    this.#sawDisconnect();
    return undefined;
  }

  /** The connection's next message; not `async`, so that a message costs one promise less on its way to the handler. */
  #pull(): Promise<WebSocketMessage> {
    try {
      const connection = this.#connected('receive');
      if (this.#disconnectReceived) throw new Error('Cannot call "receive" once a disconnect message has been received');
      return connection.receive();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #sawDisconnect(): void {
    this.#disconnectReceived = true;
    this.clientState = WebSocketState.Disconnected;
  }

  async #receiveData(): Promise<Extract<WebSocketMessage, { type: 'websocket.receive' }>> {
    const message = await this.receive();
    if (message.type === 'websocket.disconnect') throw new WebSocketDisconnect(message.code, message.reason);
    return message;
  }

  #send(data: string | Uint8Array): Promise<void> {
    try {
      if (this.applicationState === WebSocketState.Disconnected) throw new Error('Cannot send on a websocket once "close" was called');
      return this.#connected('send').send(data);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #connected(what: string): WebSocketConnection {
    if (this.#connection === undefined) throw new Error(`WebSocket is not connected. Need to call "accept" first (and await it) before "${what}".`);
    return this.#connection;
  }

  #settle(response: Response): void {
    this.#answer.settled = true;
    this.#answer.resolve(response);
  }

  /** Returns true when the error is the handler's own failure after the handshake, to be logged. */
  #handlerSettled(error: unknown, failed: boolean): boolean {
    if (!this.#answer.settled) {
      this.applicationState = WebSocketState.Disconnected;
      if (failed && isWebSocketException(error)) this.#settle(new Response(null, { statusCode: 403 }));
      else {
        this.#answer.settled = true;
        this.#answer.reject(failed ? error : new Error('The websocket handler returned without calling accept() or close()'));
      }
      return false;
    }
    const report = failed && !(error instanceof WebSocketDisconnect) && !isWebSocketException(error);
    const connection = this.#connection;
    if (connection === undefined) {
      // Accepted but not open yet: the session ends when the socket opens and is closed, or is refused.
      if (this.#upgrade !== undefined && this.#accepted !== undefined) {
        void this.#accepted.then(
          () => this.#closeAfterHandler(error, failed),
          () => undefined,
        );
      } else this.#endSession?.();
      return report;
    }
    this.#closeAfterHandler(error, failed);
    return report;
  }

  #closeAfterHandler(error: unknown, failed: boolean): void {
    const connection = this.#connection as WebSocketConnection;
    if (this.applicationState === WebSocketState.Connected) {
      this.applicationState = WebSocketState.Disconnected;
      const code = failed ? closeCodeFor(error) : { code: 1000, reason: '' };
      connection.close(code.code, code.reason);
    }
    void connection.closed.then(() => this.#endSession?.());
  }
}

/** The close code for a handler's error: a `WebSocketException`'s own, else 1011. */
function closeCodeFor(error: unknown): { code: number; reason: string } {
  return isWebSocketException(error) ? { code: error.code, reason: error.reason } : { code: 1011, reason: '' };
}

function isWebSocketException(error: unknown): error is WebSocketException {
  return error instanceof WebSocketException;
}
