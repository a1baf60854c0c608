// stackware: StaticFiles mounted at /static over --dir, served by node:http.
import { createServer } from 'node:http';
import { option, serve, stackware } from './harness.mjs';

const { Application, StaticFiles } = stackware();
const app = new Application();
app.mount('/static', new StaticFiles({ directory: option('dir', '.') }));

serve(createServer(app.callback()));
