/** Turns a path segment into a typed value, and back. */
export interface Convertor {
  /** The regular expression (source) a parameter must match. */
  readonly regex: string;
  /** Turns a value that matched {@link Convertor.regex} into its typed value. */
  convert(segment: string): unknown;
  /**
   * A check after the regular expression, for what it cannot say (the `int` convertor refuses a
   * value outside the safe integer range); a value it refuses does not match. Always true when absent.
   */
  accepts?(segment: string): boolean;
  /** Turns a value back into its path text, for reverse routing; throws on a value it cannot write. `String(value)` when absent. */
  toPath?(value: unknown): string;
}

function integerToPath(value: unknown): string {
  if (typeof value === 'bigint' && value >= 0n) return value.toString();
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`An int path parameter must be a non-negative safe integer, got ${String(value)}`);
  }
  return String(value);
}

function floatToPath(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`A float path parameter must be a non-negative finite number, got ${String(value)}`);
  }
  const text = String(value);
  if (!text.includes('e')) return text;
  // The convertor's expression has no exponent: write 1e21 and 1e-7 out in digits.
  return Number.isInteger(value) ? BigInt(value).toString() : value.toFixed(20).replace(/0+$/, '');
}

function stringToPath(value: unknown): string {
  const text = String(value);
  if (text === '' || text.includes('/')) throw new TypeError(`A str path parameter must be non-empty and have no '/', got ${JSON.stringify(text)}`);
  return text;
}

/**
 * Starlette's convertors: `{name}` is `{name:str}`. Register a custom one by adding it here before
 * the routes using it are created. `int` matches only values in the safe integer range (up to
 * 9007199254740991), so a path parameter is always an exact `number`; a longer one does not match.
 */
export const CONVERTORS: Record<string, Convertor> = {
  str: { regex: '[^/]+', convert: (s) => s, toPath: stringToPath },
  path: { regex: '.*', convert: (s) => s },
  int: {
    regex: '[0-9]+',
    convert: (s) => Number.parseInt(s, 10),
    // Rounding is monotone, so a value past the range never rounds back into it: this test is exact.
    accepts: (s) => s.length < 16 || Number.isSafeInteger(Number(s)),
    toPath: integerToPath,
  },
  float: { regex: '[0-9]+(?:\\.[0-9]+)?', convert: (s) => Number.parseFloat(s), toPath: floatToPath },
  uuid: {
    regex: '[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}',
    convert: (s) => {
      const hex = s.replace(/-/g, '').toLowerCase();
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  },
};

/** The convertors shipped with stackware, whose expressions never match a `/` (except `path`'s). */
export const BUILT_IN_CONVERTORS: ReadonlyMap<string, Convertor> = new Map(Object.entries(CONVERTORS));
