import { inspect } from 'node:util';
import type { MiddlewareLayer } from '../application';
import { redactSecrets as redact } from '../redact';
import type { HTTPApp, MiddlewareSpec } from '../middleware/base';
import type { BaseRoute, Mount, Route, Router } from '../routing';

/** Options as one short line; secrets hidden. */
export function formatOptions(options: unknown): string {
  if (options === undefined) return '';
  const text = inspect(redact(options), { depth: 3, breakLength: Infinity, compact: true, maxArrayLength: 20, maxStringLength: 80 });
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function middlewareNames(specs: readonly MiddlewareSpec<never>[]): string {
  return specs.length === 0 ? '' : `middleware: ${specs.map((spec) => spec.cls.name).join(' → ')}`;
}

// Duck-typed rather than `instanceof`: the app may come from another copy of stackware (a
// TypeScript source run through tsx next to a built CLI, or a second install).
function isRoute(route: BaseRoute): route is Route {
  return route.methods !== undefined && typeof (route as Partial<Route>).endpoint === 'function';
}

function isMount(route: BaseRoute): route is Mount {
  return typeof (route as Partial<Mount>).mounted === 'object';
}

function isRouter(value: unknown): value is Router {
  return typeof value === 'object' && value !== null && Array.isArray((value as Partial<Router>).routes);
}

/** The routes of an app that has some: an `Application` (its router) or a `Router`. */
function routesOf(app: HTTPApp): readonly BaseRoute[] | undefined {
  if (isRouter(app)) return app.routes;
  const router = (app as { router?: unknown }).router;
  return isRouter(router) ? router.routes : undefined;
}

function routeRows(routes: readonly BaseRoute[], prefix: string, indent: string, rows: string[][]): void {
  for (const route of routes) {
    if (isRoute(route)) {
      rows.push([indent + [...route.methods].join(', '), prefix + route.path, route.name ?? '', middlewareNames(route.middleware ?? [])]);
    } else if (isMount(route)) {
      const inner = routesOf(route.mounted);
      const what = inner === undefined ? route.mounted.constructor.name : '';
      rows.push([`${indent}MOUNT`, `${prefix + route.path}/`, [route.name, what].filter(Boolean).join(' '), middlewareNames(route.middleware ?? [])]);
      if (inner !== undefined) routeRows(inner, prefix + route.path, `${indent}  `, rows);
    } else {
      rows.push([`${indent}*`, prefix + route.path, route.constructor.name, '']);
    }
  }
}

function table(rows: readonly string[][]): string[] {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i])).join('  ')}`.trimEnd());
}

/**
 * The middleware stack (outermost first, error layers included) and the routes of `app`, as
 * `stackware routes` prints them.
 */
export function describeApp(app: HTTPApp): string {
  const lines: string[] = [];
  const stack = (app as { middlewareStack?: readonly MiddlewareLayer[] }).middlewareStack;
  lines.push('Middleware, outermost first (a request goes down this list, its response back up):');
  if (stack === undefined) {
    lines.push(`  ${app.constructor.name} (not an Application: its layers are not known)`);
  } else {
    lines.push(...table(stack.map((layer, i) => [`${i + 1}.`, layer.name, formatOptions(layer.options)])));
  }
  const routes = routesOf(app);
  lines.push('', 'Routes, in matching order:');
  if (routes === undefined || routes.length === 0) {
    lines.push('  (none)');
  } else {
    const rows: string[][] = [];
    routeRows(routes, '', '', rows);
    lines.push(...table(rows));
  }
  return lines.join('\n');
}
