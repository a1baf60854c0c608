import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HTTPApp } from '../middleware/base';

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** A module to serve and the name of its export: `path/to/main.ts:app`. */
export interface AppTarget {
  readonly file: string;
  readonly exportName: string;
}

/** Splits `path[:export]`; the export is `app` unless named. */
export function parseTarget(target: string, cwd = process.cwd()): AppTarget {
  const colon = target.lastIndexOf(':');
  const named = colon > 0 && /^[A-Za-z_$][\w$]*$/.test(target.slice(colon + 1));
  return {
    file: resolve(cwd, named ? target.slice(0, colon) : target),
    exportName: named ? target.slice(colon + 1) : 'app',
  };
}

/** An error the command reports as one line, without a stack trace. */
export class LoadError extends Error {}

let typeScriptRegistered = false;

/** The tsx APIs that register its loaders: CommonJS (`require`) and ESM (`import`) hooks. */
interface TsxApis {
  cjs: string;
  esm: string;
}

/** Finds tsx from `base`: its CommonJS API by resolution, its ESM API by its `exports` map. */
function findTsx(base: string): TsxApis | undefined {
  try {
    const require = createRequire(base);
    const manifest = require.resolve('tsx/package.json');
    const exportsMap = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> })
      .exports;
    const esm = exportsMap?.['./esm/api']?.import?.default;
    if (esm === undefined) return undefined;
    return { cjs: require.resolve('tsx/cjs/api'), esm: join(dirname(manifest), esm) };
  } catch {
    return undefined;
  }
}

/**
 * Lets Node load TypeScript through tsx's loaders (ESM and CommonJS), with the tsx installed next
 * to the module, else the one next to stackware.
 *
 * @throws LoadError when tsx is not installed.
 */
async function registerTypeScript(file: string): Promise<void> {
  if (typeScriptRegistered) return;
  const tsx = findTsx(file) ?? findTsx(__filename);
  if (tsx === undefined) {
    throw new LoadError(`${file} is TypeScript: install tsx to serve it (npm install --save-dev tsx), or serve the compiled .js`);
  }
  const cjs = (await import(pathToFileURL(tsx.cjs).href)) as { register(): unknown };
  const esm = (await import(pathToFileURL(tsx.esm).href)) as { register(): unknown };
  cjs.register();
  esm.register();
  typeScriptRegistered = true;
}

function isHTTPApp(value: unknown): value is HTTPApp {
  return typeof value === 'object' && value !== null && typeof (value as HTTPApp).handle === 'function';
}

/**
 * Imports the module and returns its export: an `Application` or any `HTTPApp`.
 *
 * @throws LoadError when the file, the export or a TypeScript loader is missing, or the export is
 * not an app.
 */
export async function loadApp(target: AppTarget): Promise<HTTPApp> {
  if (!existsSync(target.file)) throw new LoadError(`No such module: ${target.file}`);
  if (TYPESCRIPT.has(extname(target.file))) await registerTypeScript(target.file);
  const module = (await import(pathToFileURL(target.file).href)) as Record<string, unknown>;
  let app = module[target.exportName];
  // A CommonJS module imported from ESM may show its exports only on `default`.
  if (app === undefined && typeof module.default === 'object' && module.default !== null) {
    app = (module.default as Record<string, unknown>)[target.exportName];
  }
  if (app === undefined) {
    const cjsExports = typeof module.default === 'object' && module.default !== null ? Object.keys(module.default) : [];
    const names = [...new Set([...Object.keys(module), ...cjsExports])].filter((name) => name !== '__esModule' && name !== 'default');
    throw new LoadError(`${target.file} has no export named ${JSON.stringify(target.exportName)} (it exports: ${names.join(', ') || 'nothing'})`);
  }
  if (!isHTTPApp(app)) throw new LoadError(`${target.file}: export ${JSON.stringify(target.exportName)} is not an app (no handle() method)`);
  return app;
}
