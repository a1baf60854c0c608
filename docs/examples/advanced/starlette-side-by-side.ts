import {
  Application,
  BaseHTTPMiddleware,
  HTTPException,
  JSONResponse,
  type CallNext,
  type Request,
  type Response,
} from 'stackware';

class CustomHeaderMiddleware extends BaseHTTPMiddleware<{ headerValue: string }> {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    response.headers.set('Custom', this.options.headerValue);
    return response;
  }
}

class UnicornError extends Error {
  constructor(readonly unicorn: string) {
    super(`${unicorn} did something`);
  }
}

export const app = new Application();
app.addMiddleware(CustomHeaderMiddleware, { headerValue: 'Example' });

app.exceptionHandler(UnicornError, (_request, error) =>
  new JSONResponse({ message: `Oops! ${error.unicorn} did something. There goes a rainbow...` }, { statusCode: 418 }),
);

app.get('/unicorns/{name}', (request) => {
  if (request.pathParams.name === 'yolo') throw new UnicornError('yolo');
  return { unicornName: request.pathParams.name };
});

app.get('/items/{itemId:int}', (request) => {
  if (request.pathParams.itemId !== 1) throw new HTTPException(404, 'Item not found', { 'X-Error': 'There goes my error' });
  return { item: 'The Foo Wrestlers' };
});
