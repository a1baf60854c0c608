import type { ErrorLogger } from './middleware/errors';
import type { Request } from './requests';
import type { Response } from './responses';

/** True when something must run once the response is sent: background tasks or dependency exit code. */
export function hasWorkAfterResponse(request: Request, response: Response): boolean {
  return response.background !== undefined || request.pendingTasks() !== undefined || request.requestExits !== undefined;
}

/**
 * What runs once the response has been sent (or the client went away), in this order: the
 * response's background tasks, the request's (`request.backgroundTasks`), then the exit code of
 * request-scoped dependencies, newest first. Never rejects: every failure is logged.
 */
export async function runAfterResponse(request: Request, response: Response, logger: ErrorLogger): Promise<void> {
  const reportTask = (error: unknown): void => logger.error('Background task failed', error);
  try {
    await response.background?.run(reportTask);
    const scoped = request.pendingTasks();
    if (scoped !== undefined && scoped !== response.background) await scoped.run(reportTask);
  } finally {
    if (request.requestExits !== undefined) {
      const endpointError = request.endpointError;
      await request.requestExits.unwind(endpointError, (error) => logger.error('Dependency exit code failed', error));
    }
  }
}
