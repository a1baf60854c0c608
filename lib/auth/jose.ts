// jose 6 is ESM-only. Node's own require loads it on Node 20.19+ and 22.12+ (taken from
// process.getBuiltinModule, so that a test runner's module registry, such as jest's, which cannot
// load ESM, does not stand in for it); older Nodes get it through a dynamic import that tsc leaves alone.
import * as nodeModule from 'node:module';
import type * as Jose from 'jose';

/** The jose module. */
export type JoseModule = typeof Jose;

let loading: Promise<JoseModule> | undefined;

/** Loads jose once, on the first verified token, so `import { Application } from 'stackware'` never does. */
export function loadJose(): Promise<JoseModule> {
  return (loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  }));
}

async function load(): Promise<JoseModule> {
  try {
    const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('node:module') as typeof nodeModule | undefined;
    return (builtin ?? nodeModule).createRequire(__filename)('jose') as JoseModule;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM') {
      const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<JoseModule>;
      return dynamicImport('jose');
    }
    if (code === 'MODULE_NOT_FOUND') {
      throw new Error('JWTBackend needs the optional peer dependency jose (6 or later): npm install jose', { cause: error });
    }
    throw error;
  }
}
