/** Turns a path segment into a typed value, and back. */
export interface Convertor {
  /** The regular expression (source) a segment must match. */
  readonly regex: string;
  /** Turns a segment that matched {@link Convertor.regex} into its value. */
  convert(segment: string): unknown;
}

/** Starlette's convertors: `{name}` is `{name:str}`. */
export const CONVERTORS: Readonly<Record<string, Convertor>> = {
  str: { regex: '[^/]+', convert: (s) => s },
  path: { regex: '.*', convert: (s) => s },
  int: { regex: '[0-9]+', convert: (s) => Number.parseInt(s, 10) },
  float: { regex: '[0-9]+(?:\\.[0-9]+)?', convert: (s) => Number.parseFloat(s) },
  uuid: {
    regex: '[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}',
    convert: (s) => {
      const hex = s.replace(/-/g, '').toLowerCase();
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  },
};

const PARAM = /\{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?\}/g;

/** A compiled path template. */
export interface CompiledPath {
  /** True when the template has no parameters: it matches only itself. */
  readonly isStatic: boolean;
  /** The parameter names, in template order. */
  readonly paramNames: readonly string[];
  /** True when `path` matches; the converted parameters are written into `params`. */
  match(path: string, params: Record<string, unknown>): boolean;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles a Starlette path template such as `/items/{id:int}/{rest:path}`. */
export function compilePath(template: string): CompiledPath {
  let source = '^';
  let last = 0;
  const names: string[] = [];
  const convertors: Convertor[] = [];
  for (const found of template.matchAll(PARAM)) {
    const [whole, name, type = 'str'] = found;
    const convertor = Object.hasOwn(CONVERTORS, type) ? CONVERTORS[type] : undefined;
    if (convertor === undefined) throw new Error(`Unknown path convertor '${type}' in ${JSON.stringify(template)}`);
    if (names.includes(name)) throw new Error(`Duplicated param name ${name} at path ${template}`);
    source += `${escapeRegex(template.slice(last, found.index))}(${convertor.regex})`;
    names.push(name);
    convertors.push(convertor);
    last = found.index + whole.length;
  }
  source += `${escapeRegex(template.slice(last))}$`;

  if (names.length === 0) {
    return { isStatic: true, paramNames: names, match: (path) => path === template };
  }
  const regex = new RegExp(source);
  return {
    isStatic: false,
    paramNames: names,
    match(path, params) {
      const m = regex.exec(path);
      if (m === null) return false;
      for (let i = 0; i < names.length; i++) params[names[i]] = convertors[i].convert(m[i + 1]);
      return true;
    },
  };
}
