// The type of `request.pathParams` for a path template, computed at compile time.

/** The value type a convertor gives: `number` for `int` and `float`, `string` for `str`, `path` and `uuid`. */
export type ConvertorValue<Type extends string> = Type extends 'int' | 'float'
  ? number
  : Type extends 'str' | 'path' | 'uuid'
    ? string
    : unknown;

/** One parameter of a template (`id:int`, `name`) as an object type. */
export type ParamEntry<Param extends string> = Param extends `${infer Name}:${infer Type}`
  ? { [K in Name]: ConvertorValue<Type> }
  : { [K in Param]: string };

/** An intersection of object types shown as one object type. */
export type Flatten<T> = { [K in keyof T]: T[K] };

/** The parameters of a template, one object type per parameter, intersected. */
export type Collect<Path extends string> = Path extends `${string}{${infer Param}}${infer Rest}` ? ParamEntry<Param> & Collect<Rest> : unknown;

/**
 * The path parameters of a template: `PathParams<'/items/{id:int}/{name}'>` is
 * `{ id: number; name: string }`. A template known only as `string` gives an open record.
 */
export type PathParams<Path extends string> = string extends Path ? Record<string, unknown> : Flatten<Collect<Path>>;
