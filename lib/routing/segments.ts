// Matching a template segment by segment, on positions in the path (no split, no copy of the
// segments the template does not reach). Every built-in convertor but `path` stays inside one
// segment, so a segment without a `path` parameter matches exactly one segment of the path, and a
// `path` parameter takes one or more whole segments (joined by `/`). That makes the match linear
// in the path's length, where one backtracking expression over the whole path can be cubic
// (`/{a:path}/{b:path}/{c:path}/z`). The values are the ones the expression would capture: its
// `.*` are greedy, so an earlier `path` parameter takes as many segments as the rest allows.
import type { Convertor } from './convertors';

/** A parameter of a template. */
export interface SegmentParam {
  readonly name: string;
  readonly type: string;
  readonly convertor: Convertor;
}

/** @internal Matches a path and writes the converted parameters, on success only. */
export type SegmentMatcher = (path: string, out: Record<string, unknown>, maxParamLength: number) => boolean;

type Piece = string | SegmentParam;

/** One segment of a template. */
type Part =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'one'; readonly param: SegmentParam; readonly whole: RegExp | undefined }
  | { readonly kind: 'pattern'; readonly params: readonly SegmentParam[]; readonly regex: RegExp; readonly literalLength: number }
  | { readonly kind: 'path'; readonly param: SegmentParam; readonly pre: string; readonly post: string };

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function partOf(pieces: readonly Piece[]): Part | undefined {
  if (pieces.length === 0) return { kind: 'literal', text: '' };
  if (pieces.length === 1 && typeof pieces[0] === 'string') return { kind: 'literal', text: pieces[0] };
  const params = pieces.filter((piece): piece is SegmentParam => typeof piece !== 'string');
  const paths = params.filter((param) => param.type === 'path');
  if (paths.length > 0) {
    if (params.length > 1) return undefined;
    const [first, , last] = typeof pieces[0] === 'string' ? pieces : ['', ...pieces];
    const pre = typeof first === 'string' ? first : '';
    const post = typeof last === 'string' ? last : '';
    return { kind: 'path', param: paths[0], pre, post };
  }
  if (pieces.length === 1) {
    const param = params[0];
    // `str` is `[^/]+`: any non-empty segment, no expression needed.
    return { kind: 'one', param, whole: param.type === 'str' ? undefined : new RegExp(`^(?:${param.convertor.regex})$`) };
  }
  const source = pieces.map((piece) => (typeof piece === 'string' ? escapeRegex(piece) : `(${piece.convertor.regex})`)).join('');
  const literalLength = pieces.reduce((sum, piece) => sum + (typeof piece === 'string' ? piece.length : 0), 0);
  return { kind: 'pattern', params, regex: new RegExp(`^${source}$`), literalLength };
}

const accepted = (param: SegmentParam, text: string, maxParamLength: number): boolean =>
  text.length <= maxParamLength && (param.convertor.accepts === undefined || param.convertor.accepts(text));

type FixedPart = Exclude<Part, { kind: 'path' }>;
type PathPart = Extract<Part, { kind: 'path' }>;

/** Whether `path[start..end)`, one segment, fits a part that is not a `path` one; writes its values into `out` if given. */
function fits(part: FixedPart, path: string, start: number, end: number, maxParamLength: number, out?: Record<string, unknown>): boolean {
  const length = end - start;
  switch (part.kind) {
    case 'literal':
      return length === part.text.length && path.startsWith(part.text, start);
    case 'one': {
      if (length === 0 || length > maxParamLength) return false;
      if (part.whole === undefined && part.param.convertor.accepts === undefined && out === undefined) return true;
      const text = path.slice(start, end);
      if (!accepted(part.param, text, maxParamLength) || (part.whole !== undefined && !part.whole.test(text))) return false;
      if (out !== undefined) out[part.param.name] = part.param.convertor.convert(text);
      return true;
    }
    case 'pattern': {
      // Bounded before the expression runs, so its backtracking is bounded too.
      if (length > part.literalLength + part.params.length * maxParamLength) return false;
      const m = part.regex.exec(path.slice(start, end));
      if (m === null) return false;
      for (let i = 0; i < part.params.length; i++) if (!accepted(part.params[i], m[i + 1], maxParamLength)) return false;
      if (out !== undefined) for (let i = 0; i < part.params.length; i++) out[part.params[i].name] = part.params[i].convertor.convert(m[i + 1]);
      return true;
    }
  }
}

/**
 * The matcher of a template split into segments (`segments[0]` is what precedes the first `/`), or
 * undefined when a segment mixes a `path` parameter with another parameter (then the caller uses
 * one expression over the whole path).
 */
export function segmentMatcher(segments: readonly (readonly Piece[])[]): SegmentMatcher | undefined {
  const parts: Part[] = [];
  for (const pieces of segments) {
    const part = partOf(pieces);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  const pathCount = parts.filter((part) => part.kind === 'path').length;
  if (pathCount === 0) return withoutPath(parts as FixedPart[]);
  if (pathCount === 1) return withOnePath(parts);
  return withPaths(parts);
}

/** The end of the segment starting at `start`: the next `/`, or the end of the path. */
function segmentEnd(path: string, start: number): number {
  const slash = path.indexOf('/', start);
  return slash === -1 ? path.length : slash;
}

/** Walks the first `count` parts over the path from its start; the position after them, or -1. `last`: they must end the path. */
function forward(parts: readonly FixedPart[], count: number, path: string, maxParamLength: number, last: boolean, out?: Record<string, unknown>): number {
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = segmentEnd(path, start);
    const ends = end === path.length;
    if (ends !== (last && i === count - 1)) return -1;
    if (!fits(parts[i], path, start, end, maxParamLength, out)) return -1;
    start = end + 1;
  }
  return start;
}

/**
 * Walks `after` (the parts after a `path` one, last first) backwards from the end of the path; the
 * start of the first of them, or -1 when one does not fit or they would reach below `floor`.
 */
function backward(after: readonly FixedPart[], text: string, floor: number, maxParamLength: number, out?: Record<string, unknown>): number {
  let end = text.length;
  for (const part of after) {
    const slash = end === 0 ? -1 : text.lastIndexOf('/', end - 1);
    if (slash < floor) return -1;
    if (!fits(part, text, slash + 1, end, maxParamLength, out)) return -1;
    end = slash;
  }
  return end;
}

function withoutPath(parts: readonly FixedPart[]): SegmentMatcher {
  const m = parts.length;
  return (path, out, maxParamLength) => {
    if (forward(parts, m, path, maxParamLength, true) === -1) return false;
    forward(parts, m, path, maxParamLength, true, out);
    return true;
  };
}

/** The value of a `path` part over `path[start..end)`, or undefined when its literal text does not fit. */
function pathValue(part: PathPart, path: string, start: number, end: number): string | undefined {
  const { pre, post } = part;
  if (end - start < pre.length + post.length) return undefined;
  if ((pre !== '' && !path.startsWith(pre, start)) || (post !== '' && !path.endsWith(post, end))) return undefined;
  return path.slice(start + part.pre.length, end - part.post.length);
}

function withOnePath(parts: readonly Part[]): SegmentMatcher {
  const at = parts.findIndex((part) => part.kind === 'path');
  const path = parts[at] as PathPart;
  const before = parts.slice(0, at) as FixedPart[];
  const after = parts.slice(at + 1).reverse() as FixedPart[];
  return (text, out, maxParamLength) => {
    const start = forward(before, at, text, maxParamLength, false);
    if (start === -1) return false;
    const end = backward(after, text, start, maxParamLength);
    if (end === -1) return false;
    const value = pathValue(path, text, start, end);
    if (value === undefined) return false;
    forward(before, at, text, maxParamLength, false, out);
    out[path.param.name] = path.param.convertor.convert(value);
    backward(after, text, start, maxParamLength, out);
    return true;
  };
}

/**
 * Two or more `path` parameters: `rest[t][s]` says whether parts `t..` can match segments `s..`,
 * computed from the end in time proportional to parts × path length; then each `path` part takes
 * the most segments that leave the rest matchable, as the greedy expression would.
 */
function withPaths(parts: readonly Part[]): SegmentMatcher {
  const m = parts.length;
  const first = parts.findIndex((part) => part.kind === 'path');
  const last = parts.length - 1 - [...parts].reverse().findIndex((part) => part.kind === 'path');
  const before = parts.slice(0, first) as FixedPart[];
  const after = parts.slice(last + 1).reverse() as FixedPart[];
  return (path, out, maxParamLength) => {
    // The parts before the first `path` one and after the last are anchored: most paths fail there, without the table below.
    const start = forward(before, first, path, maxParamLength, false);
    if (start === -1 || backward(after, path, start, maxParamLength) === -1) return false;
    // starts[k]: where segment k begins; segment k ends one before starts[k + 1]. One pass over the path.
    const all = new Int32Array(path.length + 2);
    let n = 1;
    for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 0x2f) all[n++] = i + 1;
    if (n < m) return false;
    all[n] = path.length + 1;
    const starts = all.subarray(0, n + 1);
    const rest: Uint8Array[] = [];
    for (let t = 0; t <= m; t++) rest.push(new Uint8Array(n + 1));
    rest[m][n] = 1;
    for (let t = m - 1; t >= 0; t--) {
      const part = parts[t];
      const next = rest[t + 1];
      const row = rest[t];
      if (part.kind !== 'path') {
        for (let s = 0; s < n; s++) if (next[s + 1] === 1 && fits(part, path, starts[s], starts[s + 1] - 1, maxParamLength)) row[s] = 1;
        continue;
      }
      // later: some end e ≥ s + 2 leaves the rest matchable with a last segment ending in `post`;
      // spanning two segments or more, the literal texts cannot overlap, so only e = s + 1 needs the length check.
      let later = false;
      const { pre, post } = part;
      for (let s = n - 1; s >= 0; s--) {
        const end = starts[s + 1] - 1;
        if ((pre === '' || path.startsWith(pre, starts[s])) && (later || (next[s + 1] === 1 && pathValue(part, path, starts[s], end) !== undefined))) row[s] = 1;
        if (next[s + 1] === 1 && (post === '' || path.endsWith(post, end))) later = true;
      }
    }
    if (!rest[0][0]) return false;
    let s = 0;
    for (let t = 0; t < m; t++) {
      const part = parts[t];
      if (part.kind !== 'path') {
        fits(part, path, starts[s], starts[s + 1] - 1, maxParamLength, out);
        s++;
        continue;
      }
      for (let e = n; e > s; e--) {
        if (!rest[t + 1][e]) continue;
        const value = pathValue(part, path, starts[s], starts[e] - 1);
        if (value === undefined) continue;
        out[part.param.name] = part.param.convertor.convert(value);
        s = e;
        break;
      }
    }
    return true;
  };
}
