import { types } from 'node:util';
import { HTTPException } from '../exceptions';
import type { Request } from '../requests';
import { HTMLResponse, PlainTextResponse, Response, discardBody } from '../responses';
import type { HTTPApp } from './base';
import { callDirect, settled } from './direct';
import { httpExceptionResponse, type ExceptionHandlers } from './exceptions';

/** Where the server-error layer reports the errors it turns into 500s. */
export interface ErrorLogger {
  /** Reports `message`, with the error when there is one; `console.error` fits. */
  error(message: string, error?: unknown): void;
  /** Reports what only matters when debugging (a client cut off by the send timeout); `console.debug` fits. Optional. */
  debug?(message: string): void;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Errors that the client going away causes: a body read cut short, an aborted signal. */
function causedByDisconnect(request: Request, error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return (
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    error.name === 'AbortError' ||
    error.message === 'aborted' ||
    error === request.signal.reason
  );
}

function toError(thrown: unknown): Error {
  // isNativeError also recognizes errors from another realm (a vm context, a test runner).
  return thrown instanceof Error || types.isNativeError(thrown) ? thrown : new Error(`Non-error thrown: ${String(thrown)}`);
}

/** The debug 500: the stack trace, as HTML for a browser, as plain text otherwise. */
function debugResponse(request: Request, error: Error): Response {
  const trace = error.stack ?? `${error.name}: ${error.message}`;
  if ((request.headers.get('accept') ?? '').includes('text/html')) {
    const html = `<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body><h1>500 Server Error</h1><h2>${escapeHtml(`${error.name}: ${error.message}`)}</h2><pre>${escapeHtml(trace)}</pre></body></html>`;
    return new HTMLResponse(html, { statusCode: 500 });
  }
  return new PlainTextResponse(trace, { statusCode: 500 });
}

/**
 * Calls the application's 500/`Error` handler for an error raised after the response was sent (a
 * background task, dependency exit code), as Starlette's `ServerErrorMiddleware` does for anything
 * raised inside it: error reporters hook in there. The handler's response is discarded. In debug
 * mode no handler is called, as for the errors that become a 500. Logging the error is the
 * caller's job. Never rejects.
 */
export async function notifyServerErrorHandler(request: Request, thrown: unknown, logger: ErrorLogger): Promise<void> {
  const app = request.app;
  const handler = app?.debug === true ? undefined : app?.exceptionHandlers?.serverError;
  if (handler === undefined) return;
  try {
    const response: unknown = await handler(request, toError(thrown));
    if (response instanceof Response) discardBody(response);
  } catch (handlerError) {
    logger.error('The 500 exception handler itself failed', handlerError);
  }
}

/**
 * The outermost layer: any error that escapes the rest of the stack is logged once and becomes a
 * 500 — `Internal Server Error` in plain text, the registered 500/`Error` handler's response, or
 * with `debug` the stack trace.
 */
export class ServerErrorMiddleware implements HTTPApp {
  constructor(
    private readonly app: HTTPApp,
    private readonly options: { debug: boolean; handlers: ExceptionHandlers; logger: ErrorLogger },
  ) {}

  handle(request: Request): Promise<Response> {
    return settled(this.handleDirect(request));
  }

  /** @internal {@link ServerErrorMiddleware.handle}, with a response that is ready returned as it is. */
  handleDirect(request: Request): Response | Promise<Response> {
    const result = callDirect(this.app, request);
    return result instanceof Response ? result : result.catch((thrown: unknown) => this.respond(request, thrown));
  }

  private async respond(request: Request, thrown: unknown): Promise<Response> {
    if (thrown instanceof HTTPException) return httpExceptionResponse(request, thrown);
    const error = toError(thrown);
    // A client that went away (mid-upload, say) is no server error: nobody will read this answer.
    if (request.disconnected && causedByDisconnect(request, error)) {
      return new PlainTextResponse('Client Closed Request', { statusCode: 499 });
    }
    this.options.logger.error(`Exception in ${request.method} ${request.url.pathname}`, error);
    if (this.options.debug) return debugResponse(request, error);
    const handler = this.options.handlers.serverError;
    if (handler) {
      try {
        return await handler(request, error);
      } catch (handlerError) {
        this.options.logger.error('The 500 exception handler itself failed', handlerError);
      }
    }
    return new PlainTextResponse('Internal Server Error', { statusCode: 500 });
  }
}
