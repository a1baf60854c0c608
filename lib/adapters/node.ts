import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { Headers } from '../headers';
import { HTTPException } from '../exceptions';
import { isValidHost } from '../host';
import { describeValue } from '../middleware/base';
import { callDirect } from '../middleware/direct';
import { httpExceptionResponse } from '../middleware/exceptions';
import type { ErrorLogger } from '../middleware/errors';
import { Request, type Client, type RequestApp, type RequestSource } from '../requests';
import type { NodeMessage } from '../request-source';
import { Response, discardBody, sendsNoBody, type BodyChunk } from '../responses';
import { hasWorkAfterResponse, runAfterResponse } from '../lifecycle';
import type { InFlight } from '../server';
import {
  DEFAULT_LINGERING_MAX_BYTES,
  DEFAULT_LINGERING_TIMEOUT,
  DEFAULT_SEND_TIMEOUT,
  lingerAfterEarlyAnswer,
  watchSend,
  type ConnectionLimits,
} from './node-connection';

/** A Node `http` request listener. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The only code that touches `node:http`: reads `req` lazily for a {@link Request}. */
class NodeRequestSource implements RequestSource {
  readonly method: string;
  readonly target: string;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.method = req.method ?? 'GET';
    this.target = req.url ?? '/';
  }

  get httpVersion(): string {
    return this.req.httpVersion;
  }

  get scheme(): string {
    return (this.req.socket as TLSSocket).encrypted ? 'https' : 'http';
  }

  headers(): Headers {
    return Headers.fromRaw(this.req.rawHeaders);
  }

  client(): Client | null {
    const { remoteAddress, remotePort } = this.req.socket;
    return remoteAddress === undefined ? null : { host: remoteAddress, port: remotePort ?? 0 };
  }

  body(): AsyncIterable<Uint8Array> {
    // Not destroyed when the application stops reading half-way (a 413): the rest is discarded
    // after the answer (see lingerAfterEarlyAnswer), so the client gets to read it.
    return this.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
  }

  get isWebSocket(): boolean {
    // Node's parser flag (an `Upgrade` header with `Connection: upgrade`), checked first: it keeps
    // ordinary requests from building `req.headers`.
    return (this.req as { upgrade?: boolean }).upgrade === true && isWebSocketUpgrade(this.req);
  }

  disconnected(): boolean {
    return this.res.destroyed && !this.res.writableFinished;
  }

  node(): NodeMessage {
    return { req: this.req, res: this.res };
  }

  onDisconnect(listener: () => void): void {
    const res = this.res;
    if (res.writableFinished) return;
    if (res.destroyed) {
      listener();
      return;
    }
    res.once('close', () => {
      if (!res.writableFinished) listener();
    });
  }
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes a streaming body chunk by chunk, waiting for `drain` when the socket is full. When the
 * client goes away the body's iterator is stopped (its `return()`, so a generator's `finally` runs)
 * and nothing is logged; an error thrown by the body closes the connection and is logged once.
 * Never rejects.
 */
async function writeStream(res: ServerResponse, request: Request, response: Response, logger: ErrorLogger, limits: ConnectionLimits, sent?: SentBytes): Promise<void> {
  const step = response.runInContext;
  let iterator: AsyncIterator<BodyChunk> | undefined;
  let ended = false;
  let stopped = false;
  const stop = (): void => {
    if (ended || stopped) return;
    stopped = true;
    try {
      Promise.resolve(step(() => iterator?.return?.(undefined))).catch((error: unknown) =>
        logger.error('The streaming body failed while being stopped', error),
      );
    } catch (error) {
      logger.error('The streaming body failed while being stopped', error);
    }
  };
  const onClose = (): void => {
    if (!res.writableFinished) stop();
  };
  res.once('close', onClose);
  try {
    iterator = (response.bodyIterator as AsyncIterable<BodyChunk>)[Symbol.asyncIterator]();
    for (;;) {
      const next: IteratorResult<BodyChunk> = await step(() => (iterator as AsyncIterator<BodyChunk>).next());
      if (next.done) break;
      if (stopped || res.destroyed) return stop();
      if (sent !== undefined) sent.bytes += typeof next.value === 'string' ? Buffer.byteLength(next.value) : next.value.byteLength;
      if (!res.write(next.value)) {
        guardSend(res, request, limits, logger);
        await waitForDrain(res);
      }
    }
    ended = true;
    res.off('close', onClose);
    res.end();
    if (res.writableLength > 0) guardSend(res, request, limits, logger);
  } catch (error) {
    ended = true;
    if (stopped) return;
    logger.error('Error while streaming the response body; the connection was closed', error);
    // Flush what was already written (the head too, when no chunk was: the client gets the status
    // line and headers, as from uvicorn, not a reset), then close without ending the body: the
    // client sees a truncated response, never one that looks complete.
    if (!res.destroyed) res.flushHeaders();
    const socket = res.socket;
    if (socket !== null) socket.destroySoon();
    else res.destroy();
  }
}

/** Called when a write left bytes waiting: aborts the response if the client takes none for the send timeout. */
function guardSend(res: ServerResponse, request: Request, limits: ConnectionLimits, logger: ErrorLogger): void {
  const seconds = request.sendTimeout ?? limits.sendTimeout;
  watchSend(res, seconds, () =>
    logger.debug?.(`Send timeout: the client took no bytes for ${seconds} s; closed the connection (${request.method} ${request.path})`),
  );
}

/**
 * Runs the after-response work (background tasks, dependency exit code) once the response is done
 * or the connection is gone, then marks the request as no longer in flight. Registered once per
 * request, and only when there is something to do.
 */
function whenDone(res: ServerResponse, request: Request, response: Response | undefined, logger: ErrorLogger, inFlight?: InFlight): void {
  const work = response === undefined || response.bodyIterator !== null || hasWorkAfterResponse(request, response);
  if (!work && inFlight === undefined) return;
  const done = (): void => {
    if (work) void runAfterResponse(request, response, logger).finally(() => inFlight?.end());
    else inFlight?.end();
  };
  // The client may have gone before there was a response: then 'close' was already emitted.
  if (res.destroyed) queueMicrotask(done);
  else res.once('close', done);
}

/** Body bytes written so far, counted only for a request with response-finished listeners. */
interface SentBytes {
  bytes: number;
}

/**
 * Fires the request's response-finished listeners (if it has any) once `res` is over: flushed
 * (`finish`) or closed before that (the client went away, or the body failed).
 */
function reportFinish(res: ServerResponse, request: Request, statusCode: number, sent: SentBytes, logger: ErrorLogger): void {
  const listeners = request.finishListeners;
  if (listeners === undefined) return;
  const fire = (completed: boolean): void =>
    listeners.fire({ statusCode, bytesSent: sent.bytes, completed, durationMs: performance.now() - request.startedAt }, logger);
  if (res.destroyed) return fire(false);
  res.once('finish', () => fire(true));
  res.once('close', () => {
    if (!res.writableFinished) fire(false);
  });
}

/** The limits of the application, overridden by the server's, overridden by the route's send timeout. */
function connectionLimits(app: RequestApp, overrides: Partial<ConnectionLimits>): ConnectionLimits {
  return {
    sendTimeout: overrides.sendTimeout ?? app.sendTimeout ?? DEFAULT_SEND_TIMEOUT,
    lingeringTimeout: overrides.lingeringTimeout ?? app.lingeringTimeout ?? DEFAULT_LINGERING_TIMEOUT,
    lingeringMaxBytes: overrides.lingeringMaxBytes ?? app.lingeringMaxBytes ?? DEFAULT_LINGERING_MAX_BYTES,
  };
}

function send(res: ServerResponse, request: Request, response: Response, logger: ErrorLogger, limits: ConnectionLimits, inFlight?: InFlight): void {
  if (inFlight?.closing) res.shouldKeepAlive = false;
  // An answer before the whole body arrived (a 413, a 401, a route that never reads it): the
  // rest is read and discarded within bounds after the answer, so that the client receives it.
  else if (res.req?.complete === false) lingerAfterEarlyAnswer(res.req, res, limits);
  const sent: SentBytes | undefined = request.finishListeners === undefined ? undefined : { bytes: 0 };
  if (sent !== undefined) reportFinish(res, request, response.statusCode, sent, logger);
  res.writeHead(response.statusCode, response.headers.toFlatList() as string[]);
  if (sendsNoBody(request.method, response.statusCode)) {
    res.end();
    discardBody(response);
  } else if (response.bodyIterator === null) {
    if (sent !== undefined) {
      const text = response.bodyText;
      sent.bytes = text === null ? response.body.byteLength : Buffer.byteLength(text);
    }
    res.end(response.bodyText ?? response.body);
    if (res.writableLength > 0) guardSend(res, request, limits, logger);
  } else {
    void writeStream(res, request, response, logger, limits, sent);
  }
}

function sendFallback500(res: ServerResponse, request: Request, error: unknown, logger: ErrorLogger): void {
  logger.error('The application failed to produce a response', error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  reportFinish(res, request, 500, { bytes: 21 }, logger);
  res.shouldKeepAlive = false;
  res.writeHead(500, ['content-type', 'text/plain; charset=utf-8', 'content-length', '21']);
  res.end('Internal Server Error');
}

/**
 * The 400 for a request whose `Host` headers are not exactly one {@link isValidHost} value (RFC 9112
 * §3.2), or null. Read from the raw list: Node keeps only the first of several `Host` headers.
 */
function checkHostHeader(raw: readonly string[]): HTTPException | null {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    if (++count > 1) return new HTTPException(400, 'More than one Host header');
    if (!isValidHost(raw[i + 1])) return new HTTPException(400, 'Invalid Host header');
  }
  return null;
}

/** The error for an application that resolved to something else than a {@link Response}. */
export function notAResponse(value: unknown): TypeError {
  return new TypeError(`The application resolved to ${describeValue(value)} instead of a Response`);
}

/** True for `Upgrade: websocket` on a GET (the only upgrade the Node adapter performs). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return req.method === 'GET' && upgrade !== undefined && upgrade.toLowerCase() === 'websocket';
}

/** Takes over a `101` answer (the websocket upgrade, see `createUpgradeListener`); false when it cannot. */
export type UpgradeHook = (res: ServerResponse, request: Request, response: Response) => boolean;

const NO_UPGRADE =
  'A websocket handshake was accepted, but this server does not hand upgrades to the application: ' +
  "serve with app.listen(), or add server.on('upgrade', app.upgradeCallback())";

/**
 * Serves `app` on Node's `http` server: `http.createServer(createRequestListener(app))`. With
 * `inFlight`, each request is counted until its response and background work are done. `limits`
 * override the application's send timeout and lingering close (`stackware serve --timeout-send`).
 * Websocket handshakes need the server's `'upgrade'` listener too: see `createUpgradeListener`.
 */
export function createRequestListener(
  app: RequestApp,
  logger: ErrorLogger = console,
  inFlight?: InFlight,
  limits: Partial<ConnectionLimits> = {},
  upgrade?: UpgradeHook,
): RequestListener {
  const connection = connectionLimits(app, limits);
  const respond = (res: ServerResponse, request: Request, response: Response): void => {
    // Only reachable from JavaScript (an exception handler answering null, say): a 500, not a hang.
    if (!(response instanceof Response)) return fail(res, request, notAResponse(response));
    if (response.statusCode === 101) {
      if (upgrade?.(res, request, response) !== true) fail(res, request, new Error(NO_UPGRADE));
      return;
    }
    whenDone(res, request, response, logger, inFlight);
    try {
      send(res, request, response, logger, connection, inFlight);
    } catch (error) {
      sendFallback500(res, request, error, logger);
    }
  };
  const fail = (res: ServerResponse, request: Request, error: unknown): void => {
    whenDone(res, request, undefined, logger, inFlight);
    sendFallback500(res, request, error, logger);
  };
  return (req, res) => {
    inFlight?.begin();
    const request = new Request(new NodeRequestSource(req, res), app);
    const badHost = checkHostHeader(req.rawHeaders);
    const result = badHost === null ? callDirect(app, request) : Promise.reject(badHost);
    // A response that is ready (a synchronous endpoint behind built-in layers) is sent at once.
    if (result instanceof Response) return respond(res, request, result);
    result.then(
      (response) => respond(res, request, response),
      (error: unknown) => {
        // An `HTTPException` that escaped a bare `HTTPApp` (a Router, say) still gets its response.
        if (!(error instanceof HTTPException)) return fail(res, request, error);
        Promise.resolve()
          .then(() => httpExceptionResponse(request, error))
          .then(
            (response) => respond(res, request, response),
            (handlerError: unknown) => fail(res, request, handlerError),
          );
      },
    );
  };
}
