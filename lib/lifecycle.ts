import { notifyServerErrorHandler, type ErrorLogger } from './middleware/errors';
import type { Request } from './requests';
import type { Response } from './responses';

/** True when something must run once the response is sent: background tasks or dependency exit code. */
export function hasWorkAfterResponse(request: Request, response: Response): boolean {
  return (
    response.background !== undefined ||
    request.pendingTasks() !== undefined ||
    request.requestExits !== undefined ||
    (request.functionExits !== undefined && request.functionExits.size > 0)
  );
}

/** Errors raised by exit code while unwinding a failed endpoint propagate in its place; nothing to report apart. */
const propagate = (): void => undefined;

/**
 * Unwinds the dependencies of an endpoint that failed, before any response exists (FastAPI's
 * order): function-scoped exit code, then request-scoped, each newest first, with the error thrown
 * in at each `yield`. Returns the error to answer with: the last one raised by exit code (an
 * `HTTPException` there turns the failure into its response), else `error`.
 */
export async function unwindFailedEndpoint(request: Request, error: unknown): Promise<unknown> {
  request.endpointError = error;
  let current = error;
  if (request.functionExits !== undefined) current = await request.functionExits.unwind(current, propagate);
  if (request.requestExits !== undefined) current = await request.requestExits.unwind(current, propagate);
  return current;
}

/**
 * What runs once the response has been sent (or the client went away), in this order: the
 * response's background tasks, the request's (`request.backgroundTasks`), then the exit code of
 * request-scoped dependencies, newest first. Function-scoped exit code that never ran (the
 * endpoint was not reached: a 404, an error in a middleware) runs first. Each failure is logged,
 * then handed to the 500/`Error` exception handler (its response discarded). After an endpoint that
 * failed, its dependencies were unwound already ({@link unwindFailedEndpoint}); what is left is
 * exit code registered outside it. `response` is undefined when none could be produced. Never
 * rejects.
 */
export async function runAfterResponse(request: Request, response: Response | undefined, logger: ErrorLogger): Promise<void> {
  const report =
    (message: string) =>
    (error: unknown): Promise<void> => {
      logger.error(message, error);
      return notifyServerErrorHandler(request, error, logger);
    };
  const reportTask = report('Background task failed');
  const reportExit = report('Dependency exit code failed');
  try {
    if (request.functionExits !== undefined) await request.functionExits.unwind(request.endpointError, reportExit);
    await response?.background?.run(reportTask);
    const scoped = request.pendingTasks();
    if (scoped !== undefined && response?.background?.includes(scoped) !== true) await scoped.run(reportTask);
  } finally {
    if (request.requestExits !== undefined) {
      const endpointError = request.endpointError;
      await request.requestExits.unwind(endpointError, reportExit);
    }
  }
}
