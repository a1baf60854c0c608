import type { ErrorLogger } from './middleware/errors';
import type { Request } from './requests';
import type { Response } from './responses';

/**
 * What runs once the response has been sent (or the client went away): the response's background
 * tasks, then the request's. Undefined when there is nothing to run, so the fast path stays free.
 */
export function afterResponse(request: Request, response: Response, logger: ErrorLogger): (() => void) | undefined {
  const own = response.background;
  const scoped = request.pendingTasks();
  if (own === undefined && scoped === undefined) return undefined;
  const report = (error: unknown): void => logger.error('Background task failed', error);
  return () => {
    void (async () => {
      await own?.run(report);
      await scoped?.run(report);
    })();
  };
}
