// stackware with the routing benchmark's table (--table=kind:count), served by node:http.
import { createServer } from 'node:http';
import { serve, stackware } from './harness.mjs';
import { tableOption } from './route-tables.mjs';

const { Application } = stackware();
const app = new Application();
for (const template of tableOption().templates) app.get(template, () => ({ ok: true }));
serve(createServer(app.callback()));
