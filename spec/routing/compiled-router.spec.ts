// The compiled router against the plain ordered scan it replaced (kept here as the oracle):
// Starlette's Router, one regular expression per route tried in registration order.
import fc from 'fast-check';
import { CONVERTORS, HTTPException, Headers, Mount, PlainTextResponse, Route, Router, type BaseRoute, type Response } from 'stackware';
import { fakeRequest } from '../helpers';

const MAX_PARAM_LENGTH = 100;

/** One route of a table as the oracle sees it. */
interface OracleRoute {
  readonly regex: RegExp;
  readonly params: readonly { name: string; type: string }[];
  /** undefined for a mount (any method). */
  readonly methods: ReadonlySet<string> | undefined;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Starlette's compile_path: the whole template as one expression. */
function oracleRoute(template: string, methods: ReadonlySet<string> | undefined): OracleRoute {
  const params: { name: string; type: string }[] = [];
  let source = '^';
  let last = 0;
  for (const found of template.matchAll(/\{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?\}/g)) {
    const type = found[2] ?? 'str';
    source += `${escapeRegex(template.slice(last, found.index))}(${CONVERTORS[type].regex})`;
    params.push({ name: found[1], type });
    last = found.index + found[0].length;
  }
  return { regex: new RegExp(`${source}${escapeRegex(template.slice(last))}$`), params, methods };
}

type Outcome =
  | { kind: 'route'; index: number; params: Record<string, unknown> }
  | { kind: 'status'; status: number; allow?: string[] }
  | { kind: 'redirect'; location: string };

/** Whether `route` matches `path`, and its parameters: the expression, then each convertor's own check. */
function oracleMatch(route: OracleRoute, path: string): Record<string, unknown> | undefined {
  const m = route.regex.exec(path);
  if (m === null) return undefined;
  const params: Record<string, unknown> = {};
  for (let i = 0; i < route.params.length; i++) {
    const { name, type } = route.params[i];
    const text = m[i + 1];
    const convertor = CONVERTORS[type];
    if ((type !== 'path' && text.length > MAX_PARAM_LENGTH) || (convertor.accepts && !convertor.accepts(text))) return undefined;
    params[name] = convertor.convert(text);
  }
  return params;
}

/** Starlette's Router.app: the ordered scan. */
function orderedScan(routes: readonly OracleRoute[], path: string, method: string): Outcome {
  let allow: Set<string> | undefined;
  for (let index = 0; index < routes.length; index++) {
    const route = routes[index];
    const params = oracleMatch(route, path);
    if (params === undefined) continue;
    if (route.methods === undefined || route.methods.has(method)) return { kind: 'route', index, params };
    allow ??= new Set();
    for (const m of route.methods) allow.add(m);
  }
  if (allow) return { kind: 'status', status: 405, allow: [...allow].sort() };
  if (path !== '/') {
    const toggled = path.endsWith('/') ? path.replace(/\/+$/, '') : `${path}/`;
    if (routes.some((route) => oracleMatch(route, toggled) !== undefined)) return { kind: 'redirect', location: toggled };
  }
  return { kind: 'status', status: 404 };
}

/** The compiled router's answer, in the oracle's terms. */
async function routed(router: Router, path: string, method: string): Promise<Outcome> {
  const request = fakeRequest({ target: path, method });
  let response: Response;
  try {
    response = await router.handle(request);
  } catch (error) {
    if (!(error instanceof HTTPException)) throw error;
    const allow = new Headers(error.headers).get('allow') ?? undefined;
    return allow === undefined ? { kind: 'status', status: error.statusCode } : { kind: 'status', status: error.statusCode, allow: allow.split(', ').sort() };
  }
  const location = response.headers.get('location');
  if (location !== null) return { kind: 'redirect', location: new URL(location).pathname };
  const index = Number(response.headers.get('x-route'));
  return { kind: 'route', index, params: request.pathParams };
}

const LITERALS = ['a', 'b', 'users', 'me', '1', ''];
const PARAM_SEGMENTS = ['{%}', '{%:int}', '{%:float}', '{%:uuid}', '{%:path}', '{%:int}.json', 'x{%}', '{%}-{%}', '{%:path}.txt'];
const VALUES = ['a', 'b', 'me', 'users', '12', '3.5', '007', '', 'x1', '12.json', 'a-b', 'a.txt', '9007199254740993', '1'.repeat(120), '6e8bc430-9c3a-11d9-9669-0800200c9a66'];

/** A template from up to 4 segments, parameters named p0, p1… in order. */
const template = fc.array(fc.oneof(fc.constantFrom(...LITERALS), fc.constantFrom(...PARAM_SEGMENTS)), { minLength: 0, maxLength: 4 }).map((segments) => {
  let n = 0;
  return `/${segments.map((segment) => segment.replace(/%/g, () => `p${n++}`)).join('/')}`;
});

const methodSet = fc.subarray(['GET', 'POST', 'PUT'], { minLength: 1 });

const entry = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('route' as const), template, methods: methodSet }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mount' as const), template: fc.constantFrom('/a', '/users/{p0}', '', '/b/{p0:int}'), methods: methodSet }) },
);

const path = fc.array(fc.constantFrom(...LITERALS, ...VALUES), { minLength: 0, maxLength: 6 }).map((segments) => `/${segments.join('/')}`);

function build(entries: readonly { kind: 'route' | 'mount'; template: string; methods: string[] }[]): { router: Router; oracle: OracleRoute[] } {
  const routes: BaseRoute[] = [];
  const oracle: OracleRoute[] = [];
  entries.forEach((item, index) => {
    const tag = (): Response => new PlainTextResponse('', { headers: { 'x-route': String(index) } });
    if (item.kind === 'mount') {
      routes.push(new Mount(item.template, { handle: async () => tag() }));
      oracle.push(oracleRoute(`${item.template}/{__mount_rest:path}`, undefined));
      return;
    }
    routes.push(new Route(item.template, tag, { methods: item.methods }));
    const methods = new Set(item.methods);
    if (methods.has('GET')) methods.add('HEAD');
    oracle.push(oracleRoute(item.template, methods));
  });
  return { router: new Router(routes), oracle };
}

/** The mount's own parameters stay; the oracle's `__mount_rest` is the router's business. */
function comparable(outcome: Outcome): Outcome {
  if (outcome.kind !== 'route') return outcome;
  const { __mount_rest: _, ...params } = outcome.params;
  return { ...outcome, params };
}

describe('compiled router', () => {
  it('answers as the ordered scan does, over random route tables and random paths', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 12 }), fc.array(path, { minLength: 1, maxLength: 8 }), fc.constantFrom('GET', 'POST', 'DELETE'), async (entries, paths, method) => {
        const { router, oracle } = build(entries);
        for (const p of paths) expect(comparable(await routed(router, p, method))).toEqual(comparable(orderedScan(oracle, p, method)));
      }),
      { numRuns: 400 },
    );
  });

  it('answers as the ordered scan does for paths built from its own templates', async () => {
    const filled = (t: string, values: string[]): string => {
      let i = 0;
      return t.replace(/\{[^}]+\}/g, () => values[i++ % values.length]);
    };
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 12 }), fc.nat(), fc.array(fc.constantFrom(...VALUES, 'a/b', 'a/b/c'), { minLength: 1, maxLength: 4 }), async (entries, pick, values) => {
        const { router, oracle } = build(entries);
        const p = filled(entries[pick % entries.length].template, values) || '/';
        expect(comparable(await routed(router, p, 'GET'))).toEqual(comparable(orderedScan(oracle, p, 'GET')));
      }),
      { numRuns: 400 },
    );
  });

  it('routes a route added after the first request (the index is rebuilt)', async () => {
    const router = new Router([new Route('/a', () => new PlainTextResponse('a'))]);
    await expect(router.handle(fakeRequest({ target: '/b' }))).rejects.toMatchObject({ statusCode: 404 });
    router.add(new Route('/b', () => new PlainTextResponse('b')));
    expect((await router.handle(fakeRequest({ target: '/b' }))).statusCode).toBe(200);
    router.routes.push(new Route('/c', () => new PlainTextResponse('c')));
    expect((await router.handle(fakeRequest({ target: '/c' }))).statusCode).toBe(200);
  });
});
