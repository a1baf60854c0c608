import { ANY_SEGMENT, type CompiledPath } from './template';

/** A node of the index: the routes whose leading segments lead here. */
interface Node {
  /** Child nodes by literal segment. */
  readonly literal: Map<string, Node>;
  /** The longest key of `literal`: a longer segment is not looked up (hashing a 16 KB segment costs). */
  longest: number;
  /** The child for a segment any one-segment parameter may take. */
  any: Node | undefined;
  /** Routes whose template ends here: the path has exactly this many segments. */
  readonly exact: number[];
  /** Routes whose template goes on past here in a way the index does not follow (a `path` parameter…). */
  readonly beyond: number[];
}

const node = (): Node => ({ literal: new Map(), longest: -1, any: undefined, exact: [], beyond: [] });

/**
 * The candidates a path may match, in registration order: every route whose template could match
 * it, and no route whose leading segments rule it out. The router still checks each candidate, in
 * order, so the first full match wins exactly as in an ordered scan; the index only skips routes
 * that cannot match. A route without a compiled template (any other `BaseRoute`) is a candidate
 * for every path.
 */
export class RouteIndex {
  private readonly root = node();
  private readonly staticPaths = new Map<string, number[]>();
  private longestStatic = -1;

  /** `templates[i]` is the compiled template of route `i`, undefined for a route the index cannot see into. */
  constructor(templates: readonly (CompiledPath | undefined)[]) {
    templates.forEach((compiled, i) => {
      if (compiled === undefined) {
        this.root.beyond.push(i);
        return;
      }
      let at = this.root;
      for (const key of compiled.index.keys) {
        if (key === ANY_SEGMENT) at = at.any ??= node();
        else {
          let next = at.literal.get(key);
          if (next === undefined) at.literal.set(key, (next = node()));
          at.longest = Math.max(at.longest, key.length);
          at = next;
        }
      }
      (compiled.index.exact ? at.exact : at.beyond).push(i);
    });
    // A parameter-free path always has the same candidates: found by one map lookup.
    for (const compiled of templates) {
      if (compiled?.isStatic && !this.staticPaths.has(compiled.template)) {
        this.staticPaths.set(compiled.template, this.collect(compiled.template));
        this.longestStatic = Math.max(this.longestStatic, compiled.template.length);
      }
    }
  }

  /** The indexes of the routes that may match `path`, ascending. */
  candidates(path: string): readonly number[] {
    return (path.length <= this.longestStatic ? this.staticPaths.get(path) : undefined) ?? this.collect(path);
  }

  private collect(path: string): number[] {
    const found: number[] = [];
    if (path.charCodeAt(0) !== 0x2f) found.push(...this.root.beyond);
    else visit(this.root, path, 1, found);
    if (found.length > 1) found.sort((a, b) => a - b);
    return found;
  }
}

/** Collects the routes of `at` and below for the segments of `path` from `start` on (past the end: none left). */
function visit(at: Node, path: string, start: number, found: number[]): void {
  for (const i of at.beyond) found.push(i);
  if (start > path.length) {
    for (const i of at.exact) found.push(i);
    return;
  }
  let end = path.indexOf('/', start);
  if (end === -1) end = path.length;
  const next = end - start > at.longest ? undefined : at.literal.get(path.slice(start, end));
  if (next !== undefined) visit(next, path, end + 1, found);
  if (at.any !== undefined) visit(at.any, path, end + 1, found);
}
