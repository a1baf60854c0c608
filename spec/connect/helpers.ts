import type { Application } from 'stackware';
import { serve } from '../helpers';

/** A served app and a bounded `fetch` against it (5 s per request, so a hang fails the test). */
export async function served(app: Application): Promise<{ url: string; fetch: (path: string, init?: RequestInit) => Promise<globalThis.Response>; close: () => Promise<void> }> {
  const { url, close } = await serve(app);
  return {
    url,
    close,
    fetch: (path, init = {}) => fetch(`${url}${path}`, { redirect: 'manual', ...init, signal: AbortSignal.timeout(5000) }),
  };
}

/** A served app, closed after the test that started it (`afterEach` of the calling spec file). */
export type Served = Awaited<ReturnType<typeof served>>;

/**
 * `start(app)` for a spec file: serves `app` like {@link served} and closes it after the test,
 * so no test leaves a listening server behind even when an assertion fails.
 */
export function servedPerTest(): (app: Application) => Promise<Served> {
  const open = new Set<Served>();
  afterEach(async () => {
    const closing = [...open].map((server) => server.close());
    open.clear();
    await Promise.all(closing);
  });
  return async (app) => {
    const server = await served(app);
    open.add(server);
    return server;
  };
}
