import { Application, PlainTextResponse, WebSocketException } from 'stackware';

export const app = new Application();

// A handshake is a request: this middleware runs for it, and its 401 reaches the client as an
// HTTP answer before any upgrade.
app.middleware('http')(async (request, callNext) => {
  if (request.isWebSocket && request.queryParams.get('token') !== 'secret') {
    return new PlainTextResponse('Unauthorized', { statusCode: 401 });
  }
  const response = await callNext(request);
  response.headers.set('x-served-by', 'stackware'); // on the 101 too
  return response;
});

app.websocket('/rooms/{room:int}', async (ws) => {
  // Browsers send Origin but never enforce CORS on websockets: check it yourself.
  const origin = ws.headers.get('origin');
  if (origin !== null && origin !== 'https://app.example.com') return ws.close(); // an HTTP 403
  await ws.accept();
  for await (const message of ws.iterJson<{ text?: unknown }>()) {
    if (typeof message.text !== 'string') throw new WebSocketException(1003, 'Expected {"text": string}');
    await ws.sendJson({ room: ws.pathParams.room, text: message.text });
  }
});
