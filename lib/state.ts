// Compile-time checks that an application's request state fits what its middleware declares.
import type { Request } from './requests';

/**
 * The `request.state` type a middleware instance `M` declares through `BaseHTTPMiddleware<Options, State>`,
 * or `object` (nothing required) for one that declares none.
 */
export type MiddlewareState<M> = M extends {
  /** The middleware's `dispatch`, whose request type carries the declared state. */
  dispatch(request: Request<infer S>, ...rest: never[]): unknown;
}
  ? string extends keyof S
    ? object
    : S
  : object;

/**
 * Rejects, at compile time, a middleware class whose declared `request.state` the application's
 * `State` does not provide: the parameter then requires this type, which no class has.
 */
export interface StateMismatch<Required> {
  /**
   * Compile-time error marker, never present at run time: its name is the message the compiler
   * shows, its type the `request.state` the middleware requires.
   */
  readonly 'the application state lacks what this middleware declares': Required;
}

type InstanceOf<Cls> = Cls extends abstract new (...args: never) => infer I ? I : never;

/** `unknown` when `State` provides what the middleware class `Cls` declares, else a {@link StateMismatch}. */
export type StateChecked<Cls, State extends object> = [State] extends [MiddlewareState<InstanceOf<Cls>>]
  ? unknown
  : StateMismatch<MiddlewareState<InstanceOf<Cls>>>;
