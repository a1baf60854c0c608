// The Fastify side of observability-cost.ts, a plain module so that the repository's typecheck of
// bench/*.ts needs none of this directory's dependencies: Fastify bare and with @fastify/otel
// (no SDK, and an SDK given as providers), each answering `GET /users/:id` through `inject()`.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import Fastify from 'fastify';

const require = createRequire(import.meta.url);
const version = JSON.parse(readFileSync(require.resolve('@fastify/otel/package.json'), 'utf8')).version;

async function makeCase(name, otel, sdk) {
  const app = Fastify();
  if (otel !== undefined) await app.register(otel.plugin());
  const schema = { params: { type: 'object', properties: { id: { type: 'integer' } } } };
  app.get('/users/:id', { schema }, async (request) => ({ id: request.params.id }));
  await app.ready();
  return { name, framework: 'fastify', sdk, run: (i) => app.inject({ method: 'GET', url: `/users/${i}` }) };
}

/** The three Fastify cases; `providers` is the SDK of the third. */
export async function fastifyCases(providers) {
  const withSdk = new FastifyOtelInstrumentation();
  withSdk.setTracerProvider(providers.tracerProvider);
  withSdk.setMeterProvider(providers.meterProvider);
  return [
    await makeCase('no plugin', undefined, false),
    await makeCase(`@fastify/otel ${version}, no SDK registered`, new FastifyOtelInstrumentation(), false),
    await makeCase(`@fastify/otel ${version}, SDK + in-memory exporter`, withSdk, true),
  ];
}
