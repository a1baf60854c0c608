import type { ErrorLogger } from './middleware/errors';

/** What {@link Request.onFinish} listeners are told once a request's response is over. */
export interface ResponseFinished {
  /** The status sent (a fallback 500 when the application failed to produce a response). */
  readonly statusCode: number;
  /** Body bytes handed to the connection (headers not counted; 0 for HEAD, 204, 304). */
  readonly bytesSent: number;
  /** True when the whole body was delivered; false when the client went away first or the body failed. */
  readonly completed: boolean;
  /** Milliseconds from the request's arrival to its last byte flushed, or to the disconnect. */
  readonly durationMs: number;
}

/** A listener of {@link Request.onFinish}. */
export type FinishListener = (finished: ResponseFinished) => void;

/**
 * The response-finished hook of one request: listeners fire once, in the order they were added,
 * when the adapter reports the end of the response. A listener added after that fires at once with
 * the same record. A listener that throws is logged; the others still run.
 */
export class FinishListeners {
  private readonly listeners: FinishListener[] = [];
  private finished: ResponseFinished | undefined;
  private logger: ErrorLogger = console;

  /** Adds a listener (see the class). */
  add(listener: FinishListener): void {
    if (this.finished === undefined) this.listeners.push(listener);
    else this.call(listener, this.finished);
  }

  /** Reports the end of the response; only the first report counts. */
  fire(finished: ResponseFinished, logger: ErrorLogger): void {
    if (this.finished !== undefined) return;
    this.finished = finished;
    this.logger = logger;
    for (const listener of this.listeners.splice(0)) this.call(listener, finished);
  }

  private call(listener: FinishListener, finished: ResponseFinished): void {
    try {
      listener(finished);
    } catch (error) {
      this.logger.error('A response-finished listener failed', error);
    }
  }
}
