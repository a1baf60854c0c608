// Fastify with @fastify/websocket: a websocket echo at /echo.
import Fastify from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import { announce } from './harness.mjs';

const app = Fastify({ logger: false });
await app.register(fastifyWebsocket);
app.register(async (scope) => {
  scope.get('/echo', { websocket: true }, (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
});

await app.listen({ port: 0, host: '127.0.0.1' });
announce(app.server.address().port, () => app.close());
