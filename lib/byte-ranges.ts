/** One byte range of a representation: `start` included, `end` excluded. */
export interface ByteRange {
  /** The offset of the first byte. */
  readonly start: number;
  /** The offset just past the last byte. */
  readonly end: number;
}

/**
 * What a `Range` header asks of a representation of `size` bytes (RFC 9110 §14.2):
 * - `whole`: ignore the header and send the whole representation (another unit, an empty
 *   representation, more than {@link MAX_RANGES} ranges);
 * - `ranges`: the satisfiable ranges, sorted, overlapping and adjacent ones merged;
 * - `unsatisfiable`: no range starts inside the representation (a 416);
 * - `malformed`: the header cannot be read as byte ranges (a 400, with the reason).
 */
export type RangeRequest = WholeRepresentation | SatisfiableRanges | UnsatisfiableRange | MalformedRange;

/** The `Range` header is ignored: the whole representation is sent. */
export interface WholeRepresentation {
  /** Always `whole`. */
  readonly kind: 'whole';
}

/** The ranges to send, in a 206. */
export interface SatisfiableRanges {
  /** Always `ranges`. */
  readonly kind: 'ranges';
  /** At least one, sorted by start, none overlapping or adjacent. */
  readonly ranges: readonly ByteRange[];
}

/** No range starts inside the representation: a 416. */
export interface UnsatisfiableRange {
  /** Always `unsatisfiable`. */
  readonly kind: 'unsatisfiable';
}

/** The header is not byte ranges: a 400. */
export interface MalformedRange {
  /** Always `malformed`. */
  readonly kind: 'malformed';
  /** Why, for the 400's detail. */
  readonly reason: string;
}

/**
 * More ranges than this and the whole representation is sent instead: a request for thousands of
 * one-byte ranges costs the server far more than the bytes it asks for (Starlette 1.5.1 does the same).
 */
export const MAX_RANGES = 100;

const WHOLE: RangeRequest = { kind: 'whole' };
const DIGITS = /^\d+$/;

/** The ranges sorted by start, with overlapping and adjacent ones merged into one. */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  ranges.sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [ranges[0]];
  for (const range of ranges.slice(1)) {
    const last = merged[merged.length - 1];
    if (range.start <= last.end) merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, range.end) };
    else merged.push(range);
  }
  return merged;
}

/**
 * Reads a `Range` header against a representation of `size` bytes. Parts that are not numbers
 * (`bytes=abc-1`, a bare `-`) are skipped, as Starlette does; an inverted range (`bytes=5-4`) makes
 * the whole header malformed rather than producing a 206 with no sensible `Content-Range`.
 */
export function parseRange(header: string, size: number): RangeRequest {
  const eq = header.indexOf('=');
  if (eq === -1) return { kind: 'malformed', reason: 'Range header: expected bytes=start-end' };
  // RFC 9110 §14.2: a range unit the server does not know is ignored, not refused.
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes' || size === 0) return WHOLE;
  const specs = header.slice(eq + 1).split(',');
  if (specs.length > MAX_RANGES) return WHOLE;
  const ranges: ByteRange[] = [];
  let parsed = 0;
  for (const spec of specs) {
    const dash = spec.indexOf('-');
    if (dash === -1) continue;
    const first = spec.slice(0, dash).trim();
    const last = spec.slice(dash + 1).trim();
    if (first === '' && DIGITS.test(last)) {
      parsed += 1;
      const length = Number(last);
      if (length > 0) ranges.push({ start: Math.max(size - length, 0), end: size });
      continue;
    }
    if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) continue;
    parsed += 1;
    const start = Number(first);
    if (last !== '' && Number(last) < start) return { kind: 'malformed', reason: 'Range header: start must be less than end' };
    if (start >= size) continue;
    ranges.push({ start, end: last === '' ? size : Math.min(Number(last) + 1, size) });
  }
  if (parsed === 0) return { kind: 'malformed', reason: 'Range header: range must be requested' };
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  return { kind: 'ranges', ranges: coalesce(ranges) };
}

/** The `Content-Range` value of one range of a representation of `size` bytes. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end - 1}/${size}`;
}
