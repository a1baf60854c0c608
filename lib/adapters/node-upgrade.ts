import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type * as Ws from 'ws';
import type { ErrorLogger } from '../middleware/errors';
import type { Request, RequestApp } from '../requests';
import type { Response } from '../responses';
import { runAfterResponse } from '../lifecycle';
import type { InFlight } from '../server';
import { upgradeHeaderLines, WebSocketUpgrade } from '../websockets/upgrade';
import { createRequestListener, isWebSocketUpgrade } from './node';
import type { ConnectionLimits } from './node-connection';
import { WsConnection } from './ws-connection';

/** A Node `http` server's `'upgrade'` listener. */
export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Loads `ws` on the first websocket served only, so `import { Application } from 'stackware'` never does. */
function loadWs(): typeof Ws {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('ws') as typeof Ws;
  } catch (error) {
    throw new Error('Serving websockets needs the optional peer dependency ws: npm install ws', { cause: error });
  }
}

const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** Why a websocket handshake is malformed (RFC 6455 §4.2.1), or null. */
function badHandshake(req: IncomingMessage): string | null {
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) return 'Missing or invalid Sec-WebSocket-Key header';
  if (req.headers['sec-websocket-version'] !== '13') return 'Unsupported Sec-WebSocket-Version (13 is)';
  return null;
}

function writeRaw(socket: Duplex, status: number, reason: string, message: string, extra = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n${extra}\r\n${message}`,
  );
}

/** The listener {@link createUpgradeListener} returns: an `'upgrade'` listener that knows its open websockets. */
export interface WebSocketUpgradeListener {
  (req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The websockets open through this listener. */
  readonly sockets: OpenSockets;
}

/** Open websockets of one server, for a graceful shutdown to close with 1001. */
export interface OpenSockets {
  /** Closes every open websocket with 1001 (going away), dropping those that do not answer within a second. */
  goAway(): void;
  /** How many are open now. */
  readonly size: number;
}

/**
 * Serves websocket handshakes on a Node `http` server: `server.on('upgrade', createUpgradeListener(app))`
 * (`app.listen()` and `stackware serve` do it). A handshake travels the application's whole stack
 * as a request (`request.isWebSocket` is true); when the answer is the 101 of an accepted
 * websocket, the connection is upgraded with `ws` (loaded then, in `noServer` mode) and handed to
 * the handler. Any other answer is sent as a plain HTTP response and the connection closed. An
 * upgrade to another protocol is answered as an ordinary request. A malformed handshake (bad
 * `Sec-WebSocket-Key`, a version other than 13) gets a 400 before the stack.
 */
export function createUpgradeListener(
  app: RequestApp,
  logger: ErrorLogger = console,
  inFlight?: InFlight,
  limits: Partial<ConnectionLimits> = {},
): WebSocketUpgradeListener {
  const pending = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer }>();
  const servers = new Map<number, Ws.WebSocketServer>();
  const open = new Set<WsConnection>();
  const upgradeOf = new WeakMap<IncomingMessage, WebSocketUpgrade>();

  const serverFor = (maxPayload: number): Ws.WebSocketServer => {
    let wss = servers.get(maxPayload);
    if (wss === undefined) {
      const { WebSocketServer } = loadWs();
      wss = new WebSocketServer({
        noServer: true,
        clientTracking: false,
        maxPayload,
        perMessageDeflate: false,
        handleProtocols: (offered, req) => {
          const chosen = upgradeOf.get(req)?.subprotocol;
          return chosen !== undefined && offered.has(chosen) ? chosen : false;
        },
      });
      wss.on('headers', (lines, req) => {
        const upgrade = upgradeOf.get(req);
        if (upgrade !== undefined) lines.push(...upgradeHeaderLines(upgrade.headers));
      });
      servers.set(maxPayload, wss);
    }
    return wss;
  };

  const finishSession = (request: Request, upgrade: WebSocketUpgrade, connection: WsConnection | undefined): void => {
    void Promise.all([upgrade.ended, connection?.closed]).then(async ([, closed]) => {
      if (connection !== undefined) open.delete(connection);
      request.finishListeners?.fire(
        { statusCode: 101, bytesSent: 0, completed: closed !== undefined && closed.code !== 1006, durationMs: performance.now() - request.startedAt },
        logger,
      );
      try {
        await runAfterResponse(request, upgrade, logger);
      } finally {
        inFlight?.end();
      }
    });
  };

  const upgradeHook = (res: ServerResponse, request: Request, response: Response): boolean => {
    const req = res.req;
    const target = pending.get(req);
    if (!(response instanceof WebSocketUpgrade) || target === undefined) return false;
    pending.delete(req);
    const { socket, head } = target;
    res.detachSocket(socket as never);
    upgradeOf.set(req, response);
    let connection: WsConnection | undefined;
    try {
      serverFor(response.limits.maxMessageSize).handleUpgrade(req, socket, head, (ws) => {
        connection = new WsConnection(ws, response.limits);
        open.add(connection);
      });
    } catch (error) {
      logger.error('The websocket upgrade failed', error);
      socket.destroy();
    }
    upgradeOf.delete(req);
    if (connection === undefined) {
      // ws answered (503 while closing) or dropped a socket the client had already half-closed.
      response.refuse();
      finishSession(request, response, undefined);
      return true;
    }
    finishSession(request, response, connection);
    response.open(connection);
    return true;
  };

  const listener = createRequestListener(app, logger, inFlight, limits, upgradeHook);
  const onSocketError = (): void => undefined;

  const upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node removed its own error listener when it handed the socket over.
    socket.on('error', onSocketError);
    if (isWebSocketUpgrade(req)) {
      const bad = badHandshake(req);
      if (bad !== null) return writeRaw(socket, 400, 'Bad Request', bad, 'Sec-WebSocket-Version: 13\r\n');
      pending.set(req, { socket, head });
    }
    // No body follows a handshake: end the request stream so that a middleware reading it gets none.
    req.complete = true;
    req.push(null);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as never);
    // A plain HTTP answer (a 401, a 404, a 403 for a handler that closed first) ends the connection.
    res.once('finish', () => {
      const net = socket as Duplex & { destroySoon?: () => void };
      if (typeof net.destroySoon === 'function') net.destroySoon();
      else socket.end();
    });
    listener(req, res);
  };
  const sockets: OpenSockets = {
    goAway: () => {
      for (const connection of open) connection.goAway();
    },
    get size() {
      return open.size;
    },
  };
  inFlight?.onGoAway(sockets.goAway);
  return Object.assign(upgradeListener, { sockets });
}
