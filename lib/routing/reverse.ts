// Reverse routing, Starlette's url_path_for: from a route's name and parameters back to its path.
import type { HTTPApp } from '../middleware/base';
import { Mount } from './mount';
import { isCompiledRoute, type BaseRoute } from './route';

/** Thrown by reverse routing when no route has the name, or its parameters do not fit (Starlette's `NoMatchFound`). */
export class NoMatchFound extends Error {
  /** Always `NoMatchFound`. */
  override readonly name = 'NoMatchFound';
}

/** The routes of an app that has some: a `Router`, or an `Application` (through its `router`). */
function routesOf(app: HTTPApp): readonly BaseRoute[] | undefined {
  const own = (app as { routes?: unknown }).routes;
  if (Array.isArray(own)) return own as BaseRoute[];
  const router = (app as { router?: { routes?: unknown } }).router;
  return Array.isArray(router?.routes) ? (router.routes as BaseRoute[]) : undefined;
}

function split(params: Readonly<Record<string, unknown>>, names: readonly string[]): [Record<string, unknown>, Record<string, unknown>] {
  const own: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) (names.includes(key) ? own : rest)[key] = value;
  return [own, rest];
}

/** The path of the route `name` among `routes`, or the first error explaining why not. */
function find(routes: readonly BaseRoute[], name: string, params: Readonly<Record<string, unknown>>, errors: Error[]): string | undefined {
  for (const route of routes) {
    if (route instanceof Mount) {
      const inner = routesOf(route.mounted);
      if (inner === undefined) continue;
      const innerName = route.name === undefined ? name : name.startsWith(`${route.name}:`) ? name.slice(route.name.length + 1) : undefined;
      if (innerName === undefined) continue;
      const [own, rest] = split(params, route.prefix.paramNames);
      const below = find(inner, innerName, rest, errors);
      if (below === undefined) continue;
      try {
        return route.prefix.format(own) + below;
      } catch (error) {
        errors.push(error as Error);
        continue;
      }
    }
    if (route.name !== name || !isCompiledRoute(route)) continue;
    try {
      return route.compiled.format(params);
    } catch (error) {
      errors.push(error as Error);
    }
  }
  return undefined;
}

/** Reverse routing over a router's routes; see `Router.urlPathFor`. */
export function urlPathFor(routes: readonly BaseRoute[], name: string, params: Readonly<Record<string, unknown>>): string {
  const errors: Error[] = [];
  const path = find(routes, name, params, errors);
  if (path !== undefined) return path;
  if (errors.length > 0) throw new NoMatchFound(`Route '${name}': ${errors[0].message}`, { cause: errors[0] });
  throw new NoMatchFound(`No route named '${name}'`);
}
