import type { WebSocket as WsSocket, RawData } from 'ws';
import type { ResolvedWebSocketLimits, WebSocketConnection, WebSocketMessage } from '../websockets/connection';
import { WebSocketDisconnect } from '../websockets/errors';

/** Messages held for a handler that does not read before the socket is paused (the client then waits). */
const MAX_QUEUED_MESSAGES = 64;
const decoder = new TextDecoder();

/** The close code ws sends for each of its errors (RFC 6455 §7.4.1). */
const ERROR_CLOSE_CODES: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
};

function toText(data: RawData): string {
  return Buffer.isBuffer(data) ? data.toString('utf8') : decoder.decode(toBytes(data));
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/**
 * A `ws` socket as the session's {@link WebSocketConnection}: a queue of received messages
 * (reading paused while the handler is behind), sends that wait while the socket buffers more than
 * the high-water mark, a keep-alive ping that drops a peer which stops answering, and a send
 * timeout that drops one which stops reading.
 */
export class WsConnection implements WebSocketConnection {
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
  private readonly queue: WebSocketMessage[] = [];
  private readonly waiters: Array<(message: WebSocketMessage) => void> = [];
  private closeInfo: { code: number; reason: string } | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private goingAway: NodeJS.Timeout | undefined;
  private errorCode: number | undefined;

  constructor(
    private readonly ws: WsSocket,
    private readonly limits: ResolvedWebSocketLimits,
  ) {
    let closed!: (info: { code: number; reason: string }) => void;
    this.closed = new Promise((resolve) => (closed = resolve));
    ws.on('message', (data, isBinary) => {
      this.push(isBinary ? { type: 'websocket.receive', bytes: toBytes(data) } : { type: 'websocket.receive', text: toText(data) });
    });
    // An error of the peer's (a message past maxPayload, bad UTF-8, a protocol error) makes ws send
    // the close code and drop the socket: its 'close' then says 1006, so the code is kept here.
    ws.on('error', (error: Error & { code?: string }) => {
      this.errorCode ??= ERROR_CLOSE_CODES[error.code ?? ''] ?? 1002;
    });
    ws.on('pong', () => {
      clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
    });
    ws.once('close', (code: number, reason: Buffer) => {
      this.stopTimers();
      const info = code === 1006 && this.errorCode !== undefined ? { code: this.errorCode, reason: '' } : { code, reason: reason.toString() };
      this.closeInfo = info;
      this.push({ type: 'websocket.disconnect', ...info });
      closed(info);
    });
    if (limits.pingInterval > 0) {
      this.pingTimer = setInterval(() => this.ping(), limits.pingInterval * 1000);
      this.pingTimer.unref();
    }
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  /** Bytes written but not yet taken by the kernel. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  receive(): Promise<WebSocketMessage> {
    const next = this.queue.shift();
    if (next !== undefined) {
      if (next.type === 'websocket.disconnect') this.queue.unshift(next);
      else if (this.ws.isPaused && this.queue.length <= MAX_QUEUED_MESSAGES / 2) this.ws.resume();
      return Promise.resolve(next);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  send(data: string | Uint8Array): Promise<void> {
    if (this.closeInfo !== undefined || this.ws.readyState !== 1) {
      return Promise.reject(this.disconnect());
    }
    const binary = typeof data !== 'string';
    if (this.ws.bufferedAmount + byteLength(data) <= this.limits.sendHighWaterMark) {
      this.ws.send(data, { binary });
      return Promise.resolve();
    }
    // Past the high-water mark: wait until this message left the process (all before it did too).
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onClose = (): void => settle(this.disconnect());
      const settle = (error?: Error): void => {
        clearTimeout(timer);
        this.ws.off('close', onClose);
        if (error === undefined) resolve();
        else reject(error);
      };
      this.ws.once('close', onClose);
      this.ws.send(data, { binary }, (error) => settle(error === undefined || error === null ? undefined : this.disconnect()));
      if (this.limits.sendTimeout > 0) {
        timer = setTimeout(() => this.ws.terminate(), this.limits.sendTimeout * 1000);
        timer.unref();
      }
    });
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === 0 || this.ws.readyState === 1) this.ws.close(code, reason);
  }

  /** Graceful shutdown: closes with 1001, and drops the socket if the client does not answer within `seconds`. */
  goAway(seconds = 1): void {
    if (this.closeInfo !== undefined || this.goingAway !== undefined) return;
    this.close(1001, 'Server shutting down');
    this.goingAway = setTimeout(() => this.ws.terminate(), seconds * 1000);
    this.goingAway.unref();
  }

  private disconnect(): WebSocketDisconnect {
    return new WebSocketDisconnect(this.closeInfo?.code ?? 1006, this.closeInfo?.reason ?? '');
  }

  private push(message: WebSocketMessage): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter(message);
      // A disconnect answers every receive waiting, and stays for the next ones.
      if (message.type === 'websocket.disconnect') {
        for (const other of this.waiters.splice(0)) other(message);
        this.queue.push(message);
      }
      return;
    }
    this.queue.push(message);
    if (message.type === 'websocket.receive' && this.queue.length >= MAX_QUEUED_MESSAGES && !this.ws.isPaused) this.ws.pause();
  }

  private ping(): void {
    if (this.ws.readyState !== 1) return;
    this.ws.ping();
    if (this.limits.pingTimeout > 0 && this.pongTimer === undefined) {
      this.pongTimer = setTimeout(() => this.ws.terminate(), this.limits.pingTimeout * 1000);
      this.pongTimer.unref();
    }
  }

  private stopTimers(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.goingAway);
  }
}

function byteLength(data: string | Uint8Array): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}
