import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { Headers } from '../headers';
import { callApp } from '../middleware/base';
import type { ErrorLogger } from '../middleware/errors';
import { Request, type Client, type RequestApp, type RequestSource } from '../requests';
import type { BodyChunk, Response } from '../responses';
import { afterResponse } from '../lifecycle';

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

async function writeStream(res: ServerResponse, body: AsyncIterable<BodyChunk>, logger: ErrorLogger): Promise<void> {
  try {
    for await (const chunk of body) {
      if (res.destroyed) break; // client gone: leaving the loop calls the iterator's return()
      if (!res.write(chunk)) await waitForDrain(res);
    }
    if (!res.destroyed) res.end();
  } catch (error) {
    logger.error('Error while streaming the response body; the connection was closed', error);
    res.destroy();
  }
}

function send(res: ServerResponse, request: Request, response: Response, logger: ErrorLogger): void {
  const after = afterResponse(request, response, logger);
  if (after !== undefined) finished(res, after);
  res.writeHead(response.statusCode, response.headers.toFlatList() as string[]);
  const stream = response.bodyIterator;
  if (stream === null) {
    res.end(request.method === 'HEAD' ? undefined : response.body);
  } else if (request.method === 'HEAD') {
    res.end();
    void stream[Symbol.asyncIterator]().return?.();
  } else {
    void writeStream(res, stream, logger);
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

/** Serves `app` on Node's `http` server: `http.createServer(createRequestListener(app))`. */
export function createRequestListener(app: RequestApp, logger: ErrorLogger = console): RequestListener {
  return (req, res) => {
    const request = new Request(new NodeRequestSource(req, res), app);
    callApp(app, request).then(
      (response) => {
        try {
          send(res, request, response, logger);
        } catch (error) {
          sendFallback500(res, error, logger);
        }
      },
      (error: unknown) => sendFallback500(res, error, logger),
    );
  };
}
