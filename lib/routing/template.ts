import { BUILT_IN_CONVERTORS, CONVERTORS, type Convertor } from './convertors';
import { segmentMatcher, type SegmentMatcher } from './segments';

export { CONVERTORS, type Convertor } from './convertors';

/** Fastify's default: a parameter (other than a `path` one) longer than this does not match. */
export const DEFAULT_MAX_PARAM_LENGTH = 100;

const PARAM = /\{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?\}/g;

/** A key of the router's index: a literal segment, or {@link ANY_SEGMENT} for a one-segment parameter. */
export type IndexKey = string | typeof ANY_SEGMENT;
/** The index key of a segment that is a parameter (or has one) and never spans a `/`. */
export const ANY_SEGMENT: unique symbol = Symbol('any segment');

/** A compiled path template. */
export interface CompiledPath {
  /** The template, as given. */
  readonly template: string;
  /** True when the template has no parameters: it matches only itself. */
  readonly isStatic: boolean;
  /** The parameter names, in template order. */
  readonly paramNames: readonly string[];
  /** The convertor name of each parameter (`str` when the template names none). */
  readonly paramTypes: Readonly<Record<string, string>>;
  /**
   * True when `path` matches; the converted parameters are written into `params`. A value longer
   * than `maxParamLength` ({@link DEFAULT_MAX_PARAM_LENGTH} by default) does not match, except for a
   * `path` parameter, which has no limit. Time is linear in the length of `path`.
   */
  match(path: string, params: Record<string, unknown>, maxParamLength?: number): boolean;
  /**
   * @internal The leading segments the router can index a route by (after the leading `/`), and
   * whether they are the whole template (the path then has exactly that many segments).
   */
  readonly index: { readonly keys: readonly IndexKey[]; readonly exact: boolean };
  /** The path for `params`, each written by its convertor; throws on a missing or an extra parameter. */
  format(params: Readonly<Record<string, unknown>>): string;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Param {
  readonly name: string;
  readonly type: string;
  readonly convertor: Convertor;
}
/** A template split into literal text and parameters, in order. */
type Piece = string | Param;

function parse(template: string): Piece[] {
  const pieces: Piece[] = [];
  const names = new Set<string>();
  let last = 0;
  for (const found of template.matchAll(PARAM)) {
    const [whole, name, type = 'str'] = found;
    const convertor = Object.hasOwn(CONVERTORS, type) ? CONVERTORS[type] : undefined;
    if (convertor === undefined) throw new Error(`Unknown path convertor '${type}' in ${JSON.stringify(template)}`);
    if (names.has(name)) throw new Error(`Duplicated param name ${name} at path ${template}`);
    names.add(name);
    if (found.index > last) pieces.push(template.slice(last, found.index));
    pieces.push({ name, type, convertor });
    last = found.index + whole.length;
  }
  if (last < template.length) pieces.push(template.slice(last));
  return pieces;
}

/** Splits pieces at the `/` of their literal text: one list of pieces per path segment. */
function bySegment(pieces: readonly Piece[]): Piece[][] {
  const segments: Piece[][] = [[]];
  for (const piece of pieces) {
    if (typeof piece !== 'string') {
      segments[segments.length - 1].push(piece);
      continue;
    }
    piece.split('/').forEach((text, i) => {
      if (i > 0) segments.push([]);
      if (text !== '') segments[segments.length - 1].push(text);
    });
  }
  return segments;
}

const isBuiltIn = (param: Param): boolean => BUILT_IN_CONVERTORS.get(param.type) === param.convertor;

/**
 * Compiles a Starlette path template such as `/items/{id:int}/{rest:path}`. Templates using only
 * the built-in convertors are matched segment by segment, in time linear in the path's length
 * whatever the template (no backtracking regular expression over the whole path); a template with
 * a custom convertor is matched by one regular expression, as in Starlette.
 */
export function compilePath(template: string): CompiledPath {
  const pieces = parse(template);
  const params = pieces.filter((piece): piece is Param => typeof piece !== 'string');
  const segments = bySegment(pieces);
  const paramTypes = Object.fromEntries(params.map((param) => [param.name, param.type]));
  const format = formatter(pieces);
  const paramNames = params.map((param) => param.name);

  if (params.length === 0) {
    const keys = template.split('/').slice(1);
    return {
      template,
      isStatic: true,
      paramNames,
      paramTypes,
      index: { keys, exact: true },
      match: (path) => path === template,
      format,
    };
  }

  const matcher = (params.every(isBuiltIn) ? segmentMatcher(segments) : undefined) ?? regexMatcher(pieces);
  const index = indexOf(segments);
  return {
    template,
    isStatic: false,
    paramNames,
    paramTypes,
    index,
    match: (path, out, maxParamLength = DEFAULT_MAX_PARAM_LENGTH) => matcher(path, out, maxParamLength),
    format,
  };
}

/** The leading segments a router can index by: literals, and one-segment parameters of built-in convertors. */
function indexOf(segments: readonly Piece[][]): CompiledPath['index'] {
  const keys: IndexKey[] = [];
  for (const segment of segments.slice(1)) {
    if (segment.length === 0) keys.push('');
    else if (segment.length === 1 && typeof segment[0] === 'string') keys.push(segment[0]);
    else if (segment.every((piece) => typeof piece === 'string' || (isBuiltIn(piece) && piece.type !== 'path'))) keys.push(ANY_SEGMENT);
    else return { keys, exact: false };
  }
  return { keys, exact: true };
}

/** Starlette's way, for templates with custom convertors: one regular expression over the whole path. */
function regexMatcher(pieces: readonly Piece[]): SegmentMatcher {
  const params = pieces.filter((piece): piece is Param => typeof piece !== 'string');
  const source = pieces.map((piece) => (typeof piece === 'string' ? escapeRegex(piece) : `(${piece.convertor.regex})`)).join('');
  const regex = new RegExp(`^${source}$`);
  return (path, out, maxParamLength) => {
    const m = regex.exec(path);
    if (m === null) return false;
    for (let i = 0; i < params.length; i++) {
      const { convertor, type } = params[i];
      const text = m[i + 1];
      if ((type !== 'path' && text.length > maxParamLength) || (convertor.accepts !== undefined && !convertor.accepts(text))) return false;
    }
    for (let i = 0; i < params.length; i++) out[params[i].name] = params[i].convertor.convert(m[i + 1]);
    return true;
  };
}

function formatter(pieces: readonly Piece[]): CompiledPath['format'] {
  const names = new Set(pieces.flatMap((piece) => (typeof piece === 'string' ? [] : [piece.name])));
  return (params) => {
    const extra = Object.keys(params).filter((name) => !names.has(name));
    if (extra.length > 0) throw new Error(`Unexpected path parameter${extra.length > 1 ? 's' : ''} ${extra.map((n) => `'${n}'`).join(', ')}`);
    return pieces
      .map((piece) => {
        if (typeof piece === 'string') return piece;
        if (!Object.hasOwn(params, piece.name) || params[piece.name] === undefined) throw new Error(`Missing path parameter '${piece.name}'`);
        const value = params[piece.name];
        return piece.convertor.toPath ? piece.convertor.toPath(value) : String(value);
      })
      .join('');
  };
}
