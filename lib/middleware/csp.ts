// Content-Security-Policy: helmet 8's default policy, merged with what the application asks for,
// compiled once into a string with the place of the per-request nonce left open.

/** A directive's sources (`["'self'", 'https:']` or one string), `null` or `false` to drop a default one, `true` for a directive without value. */
export type CSPDirectiveValue = readonly string[] | string | boolean | null;

/** Options of the `contentSecurityPolicy` of `SecurityHeadersMiddleware`. */
export interface CSPOptions {
  /** Directives by name, camelCase (`scriptSrc`) or as written (`script-src`). */
  directives?: Readonly<Record<string, CSPDirectiveValue>>;
  /** Start from helmet's default policy (default `true`); `false` for only the given directives. */
  useDefaults?: boolean;
  /** Send `Content-Security-Policy-Report-Only` instead, to try a policy out. */
  reportOnly?: boolean;
}

/** helmet 8's default policy. */
export const DEFAULT_CSP_DIRECTIVES: Readonly<Record<string, readonly string[] | true>> = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'font-src': ["'self'", 'https:', 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", 'https:', "'unsafe-inline'"],
  'upgrade-insecure-requests': true,
};

/** A compiled policy: `header` is its name; `value(nonce)` its value, with `'nonce-…'` in script-src and style-src when given. */
export interface CompiledCSP {
  readonly header: string;
  value(nonce: string | undefined): string;
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const NAME = /^[a-z-]+$/;
const NONCE_DIRECTIVES = ['script-src', 'style-src'];

/** Compiles `options` into a policy; throws TypeError for a directive name or source that would break the header. */
export function compileCSP(options: CSPOptions, withNonce: boolean): CompiledCSP {
  const directives = new Map<string, readonly string[] | true>(options.useDefaults === false ? [] : Object.entries(DEFAULT_CSP_DIRECTIVES));
  for (const [rawName, value] of Object.entries(options.directives ?? {})) {
    const name = kebab(rawName);
    if (!NAME.test(name)) throw new TypeError(`Invalid Content-Security-Policy directive name ${JSON.stringify(rawName)}`);
    if (value === null || value === false) directives.delete(name);
    else if (value === true) directives.set(name, true);
    else {
      const sources = typeof value === 'string' ? [value] : [...value];
      for (const source of sources) {
        if (/[;,\r\n\0]/.test(source) || source.trim() === '') throw new TypeError(`Invalid Content-Security-Policy source ${JSON.stringify(source)} in ${name}`);
      }
      directives.set(name, sources);
    }
  }
  if (withNonce) for (const name of NONCE_DIRECTIVES) if (!directives.has(name)) directives.set(name, []);
  const header = options.reportOnly ? 'content-security-policy-report-only' : 'content-security-policy';
  // The pieces between the places the nonce goes: the policy is pieces.join(`'nonce-…'`).
  const pieces: string[] = [];
  let current = '';
  let first = true;
  for (const [name, value] of directives) {
    if (!first) current += ';';
    first = false;
    current += value === true ? name : [name, ...value].join(' ');
    if (withNonce && value !== true && NONCE_DIRECTIVES.includes(name)) {
      pieces.push(`${current} `);
      current = '';
    }
  }
  pieces.push(current);
  const fixed = pieces[0];
  return {
    header,
    value: (nonce) => (pieces.length === 1 ? fixed : pieces.join(`'nonce-${nonce ?? ''}'`)),
  };
}
