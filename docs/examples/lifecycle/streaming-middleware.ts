import { Application, BaseHTTPMiddleware, StreamingResponse, type BodyChunk, type CallNext, type Request, type Response } from 'stackware';

/** Counts the bytes of any response body, streaming or not, without buffering a stream. */
export class ByteCounterMiddleware extends BaseHTTPMiddleware<{ onDone: (bytes: number) => void }> {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    const { onDone } = this.options;
    if (response.bodyIterator === null) {
      onDone(response.body.byteLength);
      return response;
    }
    const inner = response.bodyIterator;
    // Wrap the iterator: each chunk is passed on as soon as it is produced.
    response.bodyIterator = (async function* (): AsyncGenerator<BodyChunk> {
      let bytes = 0;
      try {
        for await (const chunk of inner) {
          bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
          yield chunk;
        }
      } finally {
        onDone(bytes);
      }
    })();
    return response;
  }
}

/** Rewrites a small, fixed JSON body: reading it whole is fine for a non-streaming response. */
export class EnvelopeMiddleware extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    if (response.bodyIterator !== null || response.headers.get('content-type') !== 'application/json') return response;
    const data: unknown = JSON.parse(await response.text());
    response.setBody(JSON.stringify({ data }));
    return response;
  }
}

export const sizes: number[] = [];

export const app = new Application();
app.addMiddleware(EnvelopeMiddleware);
app.addMiddleware(ByteCounterMiddleware, { onDone: (bytes) => sizes.push(bytes) });

app.get('/items', () => [{ id: 1 }]);
app.get('/numbers', () =>
  new StreamingResponse(
    (async function* () {
      for (let i = 1; i <= 3; i++) yield `${i}\n`;
    })(),
    { mediaType: 'text/plain' },
  ),
);
