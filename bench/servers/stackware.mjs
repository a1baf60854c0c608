// stackware: N BaseHTTPMiddleware layers (--style=class), or N `app.middleware('http')`
// functions (--style=fn), each adding one header on the way out, served by node:http.
import { createServer } from 'node:http';
import { addHeaderLayer, layers, option, serve, stackware } from './harness.mjs';

const { Application, BaseHTTPMiddleware } = stackware();
const n = layers();
const style = option('style', 'class');

const AddHeader = addHeaderLayer(BaseHTTPMiddleware);

const app = new Application();
for (let i = 0; i < n; i++) {
  if (style === 'class') {
    app.addMiddleware(AddHeader, { i });
  } else if (style === 'fn') {
    app.middleware('http')(async (request, callNext) => {
      const r = await callNext(request);
      r.headers.set('x-mw-' + i, '1');
      return r;
    });
  } else {
    throw new Error(`unknown --style=${style}`);
  }
}
app.get('/', () => ({ message: 'hello' }));

serve(createServer(app.callback()));
