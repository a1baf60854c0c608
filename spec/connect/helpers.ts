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
