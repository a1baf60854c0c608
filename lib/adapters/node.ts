import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { Headers } from '../headers';
import { callApp } from '../middleware/base';
import type { ErrorLogger } from '../middleware/errors';
import { Request, type Client, type RequestApp, type RequestSource } from '../requests';
import type { BodyChunk, Response } from '../responses';
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
 */
async function writeStream(res: ServerResponse, response: Response, logger: ErrorLogger): Promise<void> {
  const step = response.runInContext;
  const iterator = (response.bodyIterator as AsyncIterable<BodyChunk>)[Symbol.asyncIterator]();
  let ended = false;
  let stopped = false;
  const stop = (): void => {
    if (ended || stopped) return;
    stopped = true;
    Promise.resolve(step(() => iterator.return?.(undefined))).catch((error: unknown) =>
      logger.error('The streaming body failed while being stopped', error),
    );
  };
  const onClose = (): void => {
    if (!res.writableFinished) stop();
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const next = await step(() => iterator.next());
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
    // Flush what was already written, then close without ending the body: the client sees a
    // truncated response, never one that looks complete.
    const socket = res.socket;
    if (socket !== null) socket.destroySoon();
    else res.destroy();
  }
}

function send(res: ServerResponse, request: Request, response: Response, logger: ErrorLogger, inFlight?: InFlight): void {
  const streaming = response.bodyIterator !== null;
  if (streaming || hasWorkAfterResponse(request, response)) {
    finished(res, () => void runAfterResponse(request, response, logger).finally(() => inFlight?.end()));
  } else if (inFlight !== undefined) {
    finished(res, () => inFlight.end());
  }
  if (inFlight?.closing) res.shouldKeepAlive = false;
  res.writeHead(response.statusCode, response.headers.toFlatList() as string[]);
  if (!streaming) {
    res.end(request.method === 'HEAD' ? undefined : response.body);
  } else if (request.method === 'HEAD') {
    res.end();
    const iterator = (response.bodyIterator as AsyncIterable<BodyChunk>)[Symbol.asyncIterator]();
    Promise.resolve(iterator.return?.(undefined)).catch(() => undefined);
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
  res.writeHead(500, ['content-type', 'text/plain; charset=utf-8', 'content-length', '21']);
  res.end('Internal Server Error');
}

/**
 * Serves `app` on Node's `http` server: `http.createServer(createRequestListener(app))`. With
 * `inFlight`, each request is counted until its response and background work are done.
 */
export function createRequestListener(app: RequestApp, logger: ErrorLogger = console, inFlight?: InFlight): RequestListener {
  return (req, res) => {
    inFlight?.begin();
    const request = new Request(new NodeRequestSource(req, res), app);
    callApp(app, request).then(
      (response) => {
        try {
          send(res, request, response, logger, inFlight);
        } catch (error) {
          sendFallback500(res, error, logger);
        }
      },
      (error: unknown) => {
        if (inFlight !== undefined) finished(res, () => inFlight.end());
        sendFallback500(res, error, logger);
      },
    );
  };
}
