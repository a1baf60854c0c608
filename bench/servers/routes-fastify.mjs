// Fastify (find-my-way) with the routing benchmark's table (--table=kind:count).
import Fastify from 'fastify';
import { announce } from './harness.mjs';
import { colonSyntax, tableOption } from './route-tables.mjs';

const app = Fastify({ logger: false });
for (const template of tableOption().templates) app.get(colonSyntax(template), async () => ({ ok: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
announce(app.server.address().port, () => app.close());
