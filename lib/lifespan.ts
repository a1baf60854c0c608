/**
 * Startup and shutdown code, as Starlette's lifespan: the code before `yield` runs before the server
 * accepts requests, the code after it once the server has closed. What it yields (an object), if
 * anything, is copied into every request's `state`.
 */
export type Lifespan<App> = (app: App) => AsyncGenerator<Record<string, unknown> | undefined | void, void, undefined>;

/** Runs a lifespan generator: `start()` to its `yield`, `stop()` to its end. */
export class LifespanRunner<App> {
  private generator: AsyncGenerator<Record<string, unknown> | undefined | void, void, undefined> | undefined;
  private started: Promise<Record<string, unknown> | undefined> | undefined;

  constructor(
    private readonly lifespan: Lifespan<App> | undefined,
    private readonly app: App,
  ) {}

  /** Runs the startup code once; resolves to the yielded state. Rejects with the startup error. */
  start(): Promise<Record<string, unknown> | undefined> {
    this.started ??= (async () => {
      if (this.lifespan === undefined) return undefined;
      this.generator = this.lifespan(this.app);
      const first = await this.generator.next();
      if (first.done) throw new Error('The lifespan generator must yield once, between startup and shutdown');
      return first.value ?? undefined;
    })();
    return this.started;
  }

  /** Runs the shutdown code, if startup ran. */
  async stop(): Promise<void> {
    const generator = this.generator;
    this.generator = undefined;
    this.started = undefined;
    if (generator === undefined) return;
    const after = await generator.next();
    if (!after.done) {
      await generator.return(undefined);
      throw new Error('The lifespan generator must yield only once');
    }
  }
}
