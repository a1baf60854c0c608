// The floor: node:http and ws's WebSocketServer echoing at /echo, nothing else.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { serve } from './harness.mjs';

const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: '/echo', perMessageDeflate: false });
wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
serve(server);
