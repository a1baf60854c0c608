import { Headers } from '../headers';
import { hasWorkAfterResponse, runAfterResponse } from '../lifecycle';
import { HTTPException } from '../exceptions';
import { isValidHost } from '../host';
import { callApp } from '../middleware/base';
import { httpExceptionResponse } from '../middleware/exceptions';
import type { ErrorLogger } from '../middleware/errors';
import { Request, type Client, type RequestApp, type RequestSource } from '../requests';
import { Response, discardBody, sendsNoBody, type BodyChunk } from '../responses';
import { notAResponse } from './node';

/** A web-standard request handler: `(request: Request) => Promise<Response>` of the Fetch API. */
export type FetchHandler = (request: globalThis.Request) => Promise<globalThis.Response>;

const encoder = new TextEncoder();
const toBytes = (chunk: BodyChunk): Uint8Array => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk);

/** Reads a web `ReadableStream` chunk by chunk; stopping early cancels the stream. */
async function* readWebStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

async function* noBody(): AsyncGenerator<Uint8Array> {
  /* a request without a body */
}

/** Reads a web `Request` lazily for a stackware {@link Request}. */
class FetchRequestSource implements RequestSource {
  readonly method: string;
  readonly target: string;
  readonly scheme: string;
  /** Set once the response body was delivered (or cancelled): a later abort is no disconnect. */
  completed = false;
  private readonly url: URL;

  constructor(private readonly request: globalThis.Request) {
    this.method = request.method;
    this.url = new URL(request.url);
    this.target = this.url.pathname + this.url.search;
    this.scheme = this.url.protocol.slice(0, -1);
  }

  headers(): Headers {
    const flat: string[] = [];
    for (const [name, value] of this.request.headers) flat.push(name, value);
    const headers = Headers.fromRaw(flat);
    // A web Request carries its host in the URL; routing and request.url read it from `host`.
    if (!headers.has('host')) headers.set('host', this.url.host);
    return headers;
  }

  client(): Client | null {
    return null;
  }

  body(): AsyncIterable<Uint8Array> {
    const stream = this.request.body;
    return stream === null ? noBody() : readWebStream(stream);
  }

  disconnected(): boolean {
    return this.request.signal.aborted && !this.completed;
  }

  onDisconnect(listener: () => void): void {
    const signal = this.request.signal;
    if (this.completed) return;
    if (signal.aborted) {
      listener();
      return;
    }
    signal.addEventListener('abort', () => {
      if (!this.completed) listener();
    }, { once: true });
  }
}

/**
 * The 400 for a web request whose `host` header is not a {@link isValidHost} value, or null. Without
 * one, the host is the URL's, which the runtime has parsed already.
 */
function checkHostHeader(headers: globalThis.Headers): HTTPException | null {
  const host = headers.get('host');
  return host === null || isValidHost(host) ? null : new HTTPException(400, 'Invalid Host header');
}

/** Web headers from the flat list, every `set-cookie` kept apart. */
function webHeaders(response: Response): globalThis.Headers {
  const headers = new globalThis.Headers();
  const flat = response.headers.toFlatList();
  for (let i = 0; i < flat.length; i += 2) headers.append(flat[i], flat[i + 1]);
  return headers;
}

/**
 * A body stream pulled lazily: one chunk of `chunks` per read of the consumer (no read-ahead), so
 * the consumer's pace is the producer's. `done` runs once, after the last chunk was read (`true`), an
 * error or a cancel (`false`; a cancel stops `chunks` through its `return()`), with the bytes read.
 */
function pullStream(
  chunks: AsyncIterator<BodyChunk>,
  step: <T>(run: () => T) => T,
  logger: ErrorLogger,
  done: (completed: boolean, bytes: number) => void,
): ReadableStream<Uint8Array> {
  let bytes = 0;
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (settled) return;
        let next: IteratorResult<BodyChunk>;
        try {
          next = await step(() => chunks.next());
        } catch (error) {
          if (settled) return;
          settled = true;
          logger.error('Error while streaming the response body; the stream was aborted', error);
          controller.error(error);
          done(false, bytes);
          return;
        }
        if (settled) return;
        if (next.done) {
          settled = true;
          controller.close();
          done(true, bytes);
        } else {
          const chunk = toBytes(next.value);
          bytes += chunk.byteLength;
          controller.enqueue(chunk);
        }
      },
      async cancel() {
        if (settled) return;
        settled = true;
        try {
          await step(() => chunks.return?.(undefined));
        } catch (error) {
          logger.error('The streaming body failed while being stopped', error);
        }
        done(false, bytes);
      },
    },
    { highWaterMark: 0 },
  );
}

function once(chunk: Uint8Array): AsyncIterator<BodyChunk> {
  let sent = false;
  return {
    next: () => {
      if (sent) return Promise.resolve({ done: true, value: undefined });
      sent = true;
      return Promise.resolve({ done: false, value: chunk });
    },
  };
}

const runDirectly = <T>(run: () => T): T => run();

function toWebResponse(source: FetchRequestSource, request: Request, response: Response, logger: ErrorLogger): globalThis.Response {
  const status = response.statusCode;
  const init = { status, headers: webHeaders(response) };
  let finished = false;
  // `delivered`: the consumer read the body to its end (or there was none); otherwise the web request
  // was aborted first, the body failed, or the consumer cancelled it.
  const finish = (delivered: boolean, completed = delivered, bytes = 0): void => {
    if (finished) return;
    finished = true;
    if (delivered) source.completed = true;
    request.finishListeners?.fire({ statusCode: status, bytesSent: bytes, completed, durationMs: performance.now() - request.startedAt }, logger);
    if (response.bodyIterator !== null || hasWorkAfterResponse(request, response)) {
      void runAfterResponse(request, response, logger);
    }
  };
  const afterwards = (completed: boolean, bytes: number): void => finish(true, completed, bytes);

  if (sendsNoBody(request.method, status)) {
    discardBody(response);
    const web = new globalThis.Response(null, init);
    queueMicrotask(() => finish(true));
    return web;
  }
  // A web request aborted before its response was read (the client left): the response will never
  // be read, so its after-response work (background tasks, exit code, spooled uploads) runs now.
  source.onDisconnect(() => finish(false));
  if (response.bodyIterator !== null) {
    const iterator = response.bodyIterator[Symbol.asyncIterator]();
    return new globalThis.Response(pullStream(iterator, response.runInContext, logger, afterwards), init);
  }
  if (hasWorkAfterResponse(request, response) || request.finishListeners !== undefined) {
    // Known only when the consumer has read the body: stream the fixed body to find out.
    return new globalThis.Response(pullStream(once(response.body), runDirectly, logger, afterwards), init);
  }
  source.completed = true;
  return new globalThis.Response(response.body, init);
}

function fallback500(error: unknown, logger: ErrorLogger): globalThis.Response {
  logger.error('The application failed to produce a response', error);
  return new globalThis.Response('Internal Server Error', {
    status: 500,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

const NO_WEBSOCKETS =
  'WebSocket upgrades are not supported by the Fetch adapter (app.fetch); serve websockets with app.listen() or the Node adapter';

/** The answer to a websocket handshake: a 501 saying so, before the stack (no handler could get a socket). */
function upgradeUnsupported(): globalThis.Response {
  return new globalThis.Response(NO_WEBSOCKETS, { status: 501, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

/**
 * Serves `app` as a web-standard handler (Deno, Bun, Cloudflare Workers, Node's own `Request`):
 * the same stack as on `node:http`. The request body is read from the web stream as it arrives; a
 * streaming response becomes a `ReadableStream` pulled one chunk per read, stopped (`return()`)
 * when the consumer cancels it. `request.signal` aborts when the web request's signal does.
 * Background tasks and request-scoped dependency exit code run once the body has been read to its
 * end or cancelled. A websocket handshake (`Upgrade: websocket`) is answered 501 before the stack:
 * this adapter cannot hand a socket to a handler.
 */
export function createFetchHandler(app: RequestApp, logger: ErrorLogger = console): FetchHandler {
  return async (webRequest) => {
    if (webRequest.headers.get('upgrade')?.toLowerCase() === 'websocket') return upgradeUnsupported();
    const source = new FetchRequestSource(webRequest);
    const request = new Request(source, app);
    let response: Response;
    try {
      const badHost = checkHostHeader(webRequest.headers);
      response = await (badHost === null ? callApp(app, request) : Promise.reject(badHost)).catch((error: unknown) => {
        // An HTTPException that escaped a bare HTTPApp (a Router, say) still gets its response.
        if (error instanceof HTTPException) return httpExceptionResponse(request, error);
        throw error;
      });
      if (!(response instanceof Response)) throw notAResponse(response);
    } catch (error) {
      request.finishListeners?.fire({ statusCode: 500, bytesSent: 21, completed: true, durationMs: performance.now() - request.startedAt }, logger);
      void runAfterResponse(request, undefined, logger);
      return fallback500(error, logger);
    }
    try {
      return toWebResponse(source, request, response, logger);
    } catch (error) {
      return fallback500(error, logger);
    }
  };
}
