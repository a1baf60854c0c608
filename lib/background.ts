import { AsyncLocalStorage } from 'node:async_hooks';

/** A task to run after the response was sent. */
export type BackgroundTask = () => unknown;

/** Reports a failed background task; the application's logger by default. The next task waits for a returned promise. */
export type TaskErrorReporter = (error: unknown) => void | Promise<void>;

/**
 * Functions to run, in the order added, once the response has been completely sent.
 *
 * Attach them to a response (`new Response(body, { background })`) or add them to
 * `request.backgroundTasks`. A task that throws is reported and the next one still runs.
 */
export class BackgroundTasks {
  private readonly tasks: BackgroundTask[] = [];
  /** Queues that run, whole and in order, before this one's own tasks (see {@link BackgroundTasks.sequence}). */
  private earlier: readonly BackgroundTasks[] = [];

  constructor(tasks: Iterable<BackgroundTask> = []) {
    for (const task of tasks) this.addTask(task);
  }

  /**
   * @internal A queue that runs `first`, then `second`, each with the tasks it has when it runs
   * (tasks added to either later still run). Neither is changed.
   */
  static sequence(first: BackgroundTasks, second: BackgroundTasks): BackgroundTasks {
    const both = new BackgroundTasks();
    both.earlier = [first, second];
    return both;
  }

  /** @internal True when `other` is this queue or runs as part of it. */
  includes(other: BackgroundTasks): boolean {
    return this === other || this.earlier.some((queue) => queue.includes(other));
  }

  /** Adds `fn(...args)` to the end of the queue. */
  addTask<Args extends unknown[]>(fn: (...args: Args) => unknown, ...args: Args): void {
    // Run it in the async context it was added in, so AsyncLocalStorage values are still there.
    const runInContext = AsyncLocalStorage.snapshot();
    this.tasks.push(() => runInContext(() => fn(...args)));
  }

  /** The number of tasks added. */
  get size(): number {
    return this.earlier.reduce((sum, queue) => sum + queue.size, this.tasks.length);
  }

  /** Runs every task in order; a failed task is reported and does not stop the others. */
  async run(report: TaskErrorReporter = (error) => console.error('Background task failed', error)): Promise<void> {
    for (const queue of this.earlier) await queue.run(report);
    for (const task of this.tasks) {
      try {
        await task();
      } catch (error) {
        await report(error);
      }
    }
  }
}
