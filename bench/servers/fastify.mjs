// Fastify: N onSend hooks, each adding one header (callback form, Fastify's fastest hook form).
import Fastify from 'fastify';
import { announce, layers } from './harness.mjs';

const n = layers();
const app = Fastify({ logger: false });
for (let i = 0; i < n; i++) {
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-mw-' + i, '1');
    done(null, payload);
  });
}
app.get('/', async () => ({ message: 'hello' }));

await app.listen({ port: 0, host: '127.0.0.1' });
announce(app.server.address().port, () => app.close());
