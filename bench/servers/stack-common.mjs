// Shared by the realistic-stack servers (stack-*.mjs, bench/stack-bench.ts): the 2 KB item list,
// the origin, the secrets and which middleware a `--case=` asks for.
import { option } from './harness.mjs';

/** The allowed origin every request of the stack benchmark carries. */
export const ORIGIN = 'https://app.example';
/** The session secret (stackware, Hono) and the secure-session key (Fastify: 32 bytes). */
export const SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';
export const KEY = Buffer.alloc(32, 7);

/** 18 items: with the id and the user the JSON body is about 2 KB. */
export const ITEMS = Array.from({ length: 18 }, (_, i) => ({
  sku: `SKU-${String(1000 + i)}`,
  name: `Item number ${i} with a longer name`,
  price: Math.round(1999 + i * 137.5) / 100,
  tags: ['bench', 'json', i % 2 === 0 ? 'even' : 'odd'],
  stock: 100 - i,
}));

/** The middleware a case uses (see CASES in bench/stack-bench.ts). */
const USES = {
  bare: [],
  notfound: [],
  notallowed: [],
  stack: ['cors', 'requestid', 'session', 'gzip'],
  cors: ['cors'],
  preflight: ['cors'],
  gzip: ['gzip'],
  'session-read': ['session'],
  'session-write': ['session'],
  requestid: ['requestid'],
  servertiming: ['servertiming'],
  timeout: ['timeout'],
  trustedhost: ['trustedhost'],
  httpsredirect: ['httpsredirect'],
};

/** The case from `--case=` and the set of middleware it uses. */
export function benchCase() {
  const name = option('case', 'stack');
  const uses = USES[name];
  if (uses === undefined) throw new Error(`unknown --case=${name}`);
  return { name, uses: new Set(uses) };
}
