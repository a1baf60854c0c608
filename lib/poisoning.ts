import { HTTPException } from './exceptions';
import { FormData } from './forms';

/**
 * What to do with a request body carrying a key that could change an object's prototype once the
 * body is merged into another object (`Object.assign(target, body)`), as Fastify's
 * `onProtoPoisoning` and `onConstructorPoisoning`: `'error'` answers 400 (the default), `'remove'`
 * deletes the key, `'ignore'` keeps it.
 */
export type PoisoningAction = 'error' | 'remove' | 'ignore';

/** The two actions, as an application carries them. */
export interface PoisoningOptions {
  /** A `__proto__` key in a JSON body, or a form field named `__proto__`. `'error'` by default. */
  readonly onProtoPoisoning?: PoisoningAction;
  /** A `constructor` key holding an object with a `prototype` key, in a JSON body. `'error'` by default. */
  readonly onConstructorPoisoning?: PoisoningAction;
}

const ACTIONS: ReadonlySet<string> = new Set(['error', 'remove', 'ignore']);

/** Throws a `TypeError` unless `value` is a {@link PoisoningAction} (or undefined). */
export function checkPoisoningAction(name: string, value: PoisoningAction | undefined): PoisoningAction | undefined {
  if (value !== undefined && !ACTIONS.has(value)) throw new TypeError(`${name} must be 'error', 'remove' or 'ignore', got ${JSON.stringify(value)}`);
  return value;
}

const PROTO_MESSAGE = 'Invalid JSON body: a "__proto__" key is not allowed';
const CONSTRUCTOR_MESSAGE = 'Invalid JSON body: a "constructor" key holding a "prototype" key is not allowed';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Applies `options` to `value`, the result of `JSON.parse(text)`: removes the poisoning keys in
 * place, or throws an `HTTPException` 400. A body whose text cannot hold such a key (neither
 * `__proto__` nor `constructor` nor a `\u` escape in it) is not walked.
 */
export function guardJson(text: string, value: unknown, options: PoisoningOptions = {}): unknown {
  const proto = options.onProtoPoisoning ?? 'error';
  const ctor = options.onConstructorPoisoning ?? 'error';
  if (!isObject(value) || (proto === 'ignore' && ctor === 'ignore')) return value;
  const escaped = text.includes('\\u');
  const checkProto = proto !== 'ignore' && (escaped || text.includes('__proto__'));
  const checkCtor = ctor !== 'ignore' && (escaped || text.includes('constructor'));
  if (!checkProto && !checkCtor) return value;
  // Iterative: a deeply nested body must not overflow the stack.
  const pending: Array<Record<string, unknown>> = [value];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (checkProto && Object.hasOwn(node, '__proto__')) {
      if (proto === 'error') throw new HTTPException(400, PROTO_MESSAGE);
      delete node.__proto__;
    }
    if (checkCtor && Object.hasOwn(node, 'constructor')) {
      const held = node.constructor;
      if (isObject(held) && Object.hasOwn(held, 'prototype')) {
        if (ctor === 'error') throw new HTTPException(400, CONSTRUCTOR_MESSAGE);
        Reflect.deleteProperty(node, 'constructor');
      }
    }
    for (const key in node) {
      const child = node[key];
      if (isObject(child)) pending.push(child);
    }
  }
  return value;
}

/**
 * Applies `action` to the form fields named `__proto__` (`Object.fromEntries(form)` then
 * `Object.assign` would set a prototype): a 400, the form without them, or the form as it is.
 */
export function guardForm(form: FormData, action: PoisoningAction = 'error'): FormData {
  if (action === 'ignore' || !form.has('__proto__')) return form;
  if (action === 'error') throw new HTTPException(400, 'A form field named "__proto__" is not allowed');
  const kept = new FormData();
  for (const [name, value] of form) if (name !== '__proto__') kept.add(name, value);
  return kept;
}
