import { AsyncLocalStorage } from 'node:async_hooks';

/** When a dependency's exit code runs. */
export type DependencyScope = 'request' | 'function';

/** Options of `request.depends`. */
export interface DependsOptions {
  /**
   * `'request'` (the default, as FastAPI 0.118+): the exit code runs after the response was sent and
   * after the background tasks. `'function'`: it runs as soon as the endpoint returns, before the
   * response leaves. When the endpoint raises, both run before the response. A request-scoped
   * generator cannot depend on a function-scoped dependency; the two scopes of one function are
   * two resolutions.
   */
  scope?: DependencyScope;
}

/** What a dependency function may return: a value, a promise, or a generator whose `yield` gives the value. */
export type DependencyResult<T> = T | Promise<T> | AsyncGenerator<T, unknown, unknown> | Generator<T, unknown, unknown>;

/** The value a dependency function provides. */
export type DependencyValue<R> =
  R extends AsyncGenerator<infer T, unknown, unknown> ? T : R extends Generator<infer T, unknown, unknown> ? T : Awaited<R>;

type AnyGenerator = AsyncGenerator<unknown, unknown, unknown> | Generator<unknown, unknown, unknown>;

function isGenerator(value: unknown): value is AnyGenerator {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AnyGenerator).next === 'function' &&
    typeof (value as AnyGenerator).throw === 'function' &&
    (Symbol.asyncIterator in value || Symbol.iterator in value)
  );
}

/**
 * Reports an error raised by exit code that was not the error thrown into it.
 *
 * @inline
 */
export type ExitErrorReporter = (error: unknown) => void | Promise<void>;

/**
 * One dependency's exit code; `error` is the one to throw in at its `yield` (undefined when none).
 *
 * @inline
 */
type Exit = (error: unknown) => Promise<void>;

/**
 * Exit code to run later, last registered first (Python's `AsyncExitStack`). Each exit runs in the
 * async context its dependency was resolved in, so `AsyncLocalStorage` values are still there.
 */
export class ExitStack {
  private readonly exits: Exit[] = [];

  /** Registers exit code; {@link ExitStack.unwind} runs it before the exits registered earlier. */
  push(exit: Exit): void {
    this.exits.push(exit);
  }

  /** The number of exits not yet run. */
  get size(): number {
    return this.exits.length;
  }

  /**
   * Runs every exit, newest first. `error` (the endpoint's, if it failed) is thrown into each
   * generator at its `yield`. Returns the error to propagate: a new one raised by exit code, or the
   * original one.
   */
  async unwind(error: unknown, report: ExitErrorReporter): Promise<unknown> {
    let current = error;
    while (this.exits.length > 0) {
      const exit = this.exits.pop() as Exit;
      try {
        await exit(current);
      } catch (raised) {
        if (raised !== current) await report(raised);
        current = raised;
      }
    }
    return current;
  }
}

/**
 * Raised by `request.depends` when a request-scoped dependency with exit code asks for a
 * function-scoped one: that one would be closed when the endpoint returns, while the outer one still
 * holds it until after the response (FastAPI's `DependencyScopeError`).
 */
export class DependencyScopeError extends Error {
  constructor(dependant: string, dependency: string) {
    super(
      `The dependency "${dependant}" has a scope of "request", it cannot depend on dependencies with scope "function" ` +
        `(it asked for "${dependency}"). Resolve "${dependency}" with the request scope, or "${dependant}" with { scope: 'function' }.`,
    );
    this.name = 'DependencyScopeError';
  }
}

/** A dependency function's name for messages. */
export function dependencyName(fn: { name: string }): string {
  return fn.name === '' ? '<anonymous>' : fn.name;
}

/** The name of the function that called `callee` (the frame right below it), or null. */
function callerName(callee: (...args: never[]) => unknown): string | null {
  const { prepareStackTrace, stackTraceLimit } = Error;
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = (_error, sites) => sites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, callee);
    return holder.stack?.[0]?.getFunctionName() ?? null;
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * The request-scoped generators of one request whose setup code (up to the first `yield`) is
 * running, by name: the dependants a function-scoped dependency is checked against.
 */
export class SetupsInFlight {
  private readonly running = new Map<string, number>();

  /** Marks the setup of generator `name` as running until the returned function is called. */
  begin(name: string): () => void {
    this.running.set(name, (this.running.get(name) ?? 0) + 1);
    return () => {
      const left = (this.running.get(name) as number) - 1;
      if (left === 0) this.running.delete(name);
      else this.running.set(name, left);
    };
  }

  /**
   * The error refusing function-scoped dependency `dependency`, asked for through `depends`, when
   * the code that asked is the setup code of one of these generators; else undefined. Only the
   * direct caller counts, as in FastAPI: a plain function that a generator calls may ask for it.
   * The caller is found by its name on the call stack, so this costs something only while a
   * request-scoped generator is being set up, and an anonymous generator is not checked.
   */
  conflict(dependency: string, depends: (...args: never[]) => unknown): DependencyScopeError | undefined {
    if (this.running.size === 0) return undefined;
    const caller = callerName(depends);
    return caller !== null && this.running.has(caller) ? new DependencyScopeError(caller, dependency) : undefined;
  }
}

/**
 * Resolves a dependency from what its function returned: awaits a promise, or runs a generator to
 * its first `yield` and registers the rest of it (its exit code) on `exits`. With `setups`, the
 * generator's setup is marked as running there under `name` while it runs.
 */
export async function resolveDependency(result: unknown, exits: ExitStack, name: string, setups?: SetupsInFlight): Promise<unknown> {
  if (!isGenerator(result)) return result;
  const generator = result;
  const end = setups?.begin(name);
  let first: IteratorResult<unknown, unknown>;
  try {
    first = await generator.next();
  } finally {
    end?.();
  }
  if (first.done) throw new Error('A dependency generator must yield a value before it returns');
  const runInContext = AsyncLocalStorage.snapshot();
  exits.push((error) =>
    runInContext(async () => {
      const after = error === undefined ? await generator.next() : await generator.throw(error);
      if (!after.done) await generator.return(undefined);
    }),
  );
  return first.value;
}

/**
 * One request's dependencies: one resolution per function and scope (a function-scoped one is
 * closed before the response, so a request-scoped caller of the same function must never be handed
 * it), and FastAPI's scope rule: the setup code of a request-scoped generator may not ask for a
 * function-scoped dependency.
 */
export class RequestDependencies {
  private readonly resolved = { request: new Map<unknown, Promise<unknown>>(), function: new Map<unknown, Promise<unknown>>() };
  private setups: SetupsInFlight | undefined;

  /**
   * `fn(arg)` resolved once for `scope`, its exit code pushed on `exits()`; `depends` is the
   * public method the dependant called, below which its frame is looked for.
   */
  resolve<A>(
    fn: (arg: A) => unknown,
    arg: A,
    scope: 'request' | 'function',
    exits: () => ExitStack,
    depends: (...args: never[]) => unknown,
  ): Promise<unknown> {
    if (scope === 'function' && this.setups !== undefined) {
      const conflict = this.setups.conflict(dependencyName(fn), depends);
      if (conflict !== undefined) return Promise.reject(conflict);
    }
    const cache = this.resolved[scope];
    let value = cache.get(fn);
    if (value === undefined) {
      const stack = exits();
      // Only a request-scoped generator can be refused what it asks for, and only by its name.
      const setups = scope === 'request' && fn.name !== '' ? (this.setups ??= new SetupsInFlight()) : undefined;
      value = (async () => resolveDependency(fn(arg), stack, fn.name, setups))();
      cache.set(fn, value);
    }
    return value;
  }
}
