import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';

/**
 * How long idle keep-alive connections are left open once a server starts closing. A client that
 * sends its next request on one in that time is answered (with `Connection: close`) instead of
 * reset by a close racing its request; the connections still idle after it are closed.
 */
const IDLE_GRACE_MS = 250;

/**
 * Counts the requests in flight, from their arrival to the end of their background work, so that a
 * closing server can wait for them.
 */
export class InFlight {
  private active = 0;
  private waiters: Array<() => void> = [];
  private readonly goAwayListeners: Array<() => void> = [];
  /** True once the server is closing: responses then ask the client to close the connection. */
  closing = false;

  /** Adds what closes long-lived sessions (open websockets) when a graceful close gives up waiting. */
  onGoAway(listener: () => void): void {
    this.goAwayListeners.push(listener);
  }

  /** Tells long-lived sessions to end now (websockets close with 1001). */
  goAway(): void {
    for (const listener of this.goAwayListeners) listener();
  }

  /** How many requests are in flight now. */
  get size(): number {
    return this.active;
  }

  /** Counts a request in. */
  begin(): void {
    this.active += 1;
  }

  /** Counts a request out; once none is left, resolves the {@link InFlight.idle} promises. */
  end(): void {
    this.active -= 1;
    if (this.active === 0) for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Resolves once no request is in flight. */
  idle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * What http's own `close()` does besides closing: stop its timer that checks request and header
 * timeouts (it would keep the closed server referenced). Node keeps it under a symbol.
 */
function stopConnectionChecks(server: Server): void {
  const key = Object.getOwnPropertySymbols(server).find((symbol) => symbol.description === 'http.server.connectionsCheckingInterval');
  if (key !== undefined) clearInterval((server as unknown as Record<symbol, NodeJS.Timeout | undefined>)[key]);
}

/** Emitted by a graceful server when its timeout ends requests still in flight, with their count. */
export const FORCED_CLOSE_EVENT = 'stackware:forced-close';

/**
 * Makes `server.close(callback)` graceful: it stops accepting connections at once, closes idle
 * keep-alive connections after 250 ms (answering, with `Connection: close`, the
 * requests that arrive on them meanwhile), lets the requests in flight and their background tasks finish, then runs
 * `afterClose` (the lifespan's shutdown) and the callback. Connections still open after
 * `timeoutSeconds` are closed by force, open websockets with 1001 (going away).
 */
export function makeGraceful(server: Server, inFlight: InFlight, timeoutSeconds: number, afterClose: () => Promise<void>): Server {
  let closing: Promise<Error | undefined> | undefined;
  server.close = (callback?: (error?: Error) => void): Server => {
    closing ??= new Promise<Error | undefined>((resolve) => {
      inFlight.closing = true;
      // Stops accepting without http's own close, which would also close idle connections at once.
      const connectionsClosed = new Promise<Error | undefined>((done) => NetServer.prototype.close.call(server, (error?: Error) => done(error)));
      const idle = setTimeout(() => server.closeIdleConnections(), IDLE_GRACE_MS);
      idle.unref();
      let timer: NodeJS.Timeout | undefined;
      // Past the timeout, work still in flight is abandoned: its connections are closed by force.
      const forced = new Promise<void>((done) => {
        timer = setTimeout(() => {
          // Said before it happens, so a supervisor can report how many requests were cut off.
          server.emit(FORCED_CLOSE_EVENT, inFlight.size);
          inFlight.goAway();
          server.closeAllConnections();
          done();
        }, timeoutSeconds * 1000);
        timer.unref();
      });
      const drained = Promise.all([connectionsClosed, inFlight.idle()]).then(([error]) => error);
      void Promise.race([drained, forced.then(() => connectionsClosed)]).then(async (error) => {
        clearTimeout(timer);
        clearTimeout(idle);
        stopConnectionChecks(server);
        try {
          await afterClose();
          resolve(error);
        } catch (shutdownError) {
          resolve(shutdownError as Error);
        }
      });
    });
    void closing.then((error) => callback?.(error));
    return server;
  };
  return server;
}
