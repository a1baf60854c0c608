import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { Headers } from '../headers';
import { HTTPException } from '../exceptions';
import { callApp, describeValue } from '../middleware/base';
import { httpExceptionResponse } from '../middleware/exceptions';
import type { ErrorLogger } from '../middleware/errors';
import { Request, type Client, type RequestApp, type RequestSource } from '../requests';
import { Response, discardBody, sendsNoBody, type BodyChunk } from '../responses';
import { hasWorkAfterResponse, runAfterResponse } from '../lifecycle';
import type { InFlight } from '../server';

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
    return this.req;
  }

  disconnected(): boolean {
    return this.res.destroyed && !this.res.writableFinished;
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
async function writeStream(res: ServerResponse, response: Response, logger: ErrorLogger): Promise<void> {
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
      if (!res.write(next.value)) await waitForDrain(res);
    }
    ended = true;
    res.off('close', onClose);
    res.end();
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

function send(res: ServerResponse, request: Request, response: Response, logger: ErrorLogger, inFlight?: InFlight): void {
  // A body the client is still sending and nobody read (a 413, an early answer) is not worth
  // reading to keep the connection: close it after the response instead.
  if (inFlight?.closing || res.req?.complete === false) res.shouldKeepAlive = false;
  res.writeHead(response.statusCode, response.headers.toFlatList() as string[]);
  if (sendsNoBody(request.method, response.statusCode)) {
    res.end();
    discardBody(response);
  } else if (response.bodyIterator === null) {
    res.end(response.bodyText ?? response.body);
  } else {
    void writeStream(res, response, logger);
  }
}

function sendFallback500(res: ServerResponse, error: unknown, logger: ErrorLogger): void {
  logger.error('The application failed to produce a response', error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.shouldKeepAlive = false;
  res.writeHead(500, ['content-type', 'text/plain; charset=utf-8', 'content-length', '21']);
  res.end('Internal Server Error');
}

/** The error for an application that resolved to something else than a {@link Response}. */
export function notAResponse(value: unknown): TypeError {
  return new TypeError(`The application resolved to ${describeValue(value)} instead of a Response`);
}

/**
 * Serves `app` on Node's `http` server: `http.createServer(createRequestListener(app))`. With
 * `inFlight`, each request is counted until its response and background work are done.
 */
export function createRequestListener(app: RequestApp, logger: ErrorLogger = console, inFlight?: InFlight): RequestListener {
  const respond = (res: ServerResponse, request: Request, response: Response): void => {
    // Only reachable from JavaScript (an exception handler answering null, say): a 500, not a hang.
    if (!(response instanceof Response)) return fail(res, request, notAResponse(response));
    whenDone(res, request, response, logger, inFlight);
    try {
      send(res, request, response, logger, inFlight);
    } catch (error) {
      sendFallback500(res, error, logger);
    }
  };
  const fail = (res: ServerResponse, request: Request, error: unknown): void => {
    whenDone(res, request, undefined, logger, inFlight);
    sendFallback500(res, error, logger);
  };
  return (req, res) => {
    inFlight?.begin();
    const request = new Request(new NodeRequestSource(req, res), app);
    callApp(app, request).then(
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
