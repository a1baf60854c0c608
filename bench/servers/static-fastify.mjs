// Fastify with @fastify/static at /static/ over --dir (its defaults: ETag, Last-Modified, ranges).
import Fastify from 'fastify';
import fastifyStatic from '@fastify/static';
import { announce, option } from './harness.mjs';

const app = Fastify({ logger: false });
await app.register(fastifyStatic, { root: option('dir', '.'), prefix: '/static/' });

await app.listen({ port: 0, host: '127.0.0.1' });
announce(app.server.address().port, () => app.close());
