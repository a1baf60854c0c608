// stackware with its built-in middleware, for bench/stack-bench.ts: `--case=` picks which
// (stack: CORS + request id + session read + gzip; or one built-in alone).
import { createServer } from 'node:http';
import { benchCase } from './stack-common.mjs';
import { stackwareApp } from './stack-stackware-app.mjs';
import { serve, stackware } from './harness.mjs';

serve(createServer(stackwareApp(stackware(), benchCase().uses).callback()));
