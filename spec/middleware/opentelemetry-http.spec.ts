import { execFile } from 'node:child_process';
import { join } from 'node:path';

interface Reported {
  spans: Array<{ name: string; kind: number; scope: string; spanId: string; parent?: string; route?: string }>;
  durations: Array<{ scope: string; route?: string; count: number }>;
}

function runFixture(): Promise<Reported> {
  const fixture = join(__dirname, '..', 'fixtures', 'otel-instrumented.cjs');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fixture], { timeout: 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`the instrumented child failed: ${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim()) as Reported);
    });
  });
}

describe('OpenTelemetryMiddleware under @opentelemetry/instrumentation-http (loaded first, in a child process)', () => {
  it('leaves exactly one SERVER span, instrumentation-http\'s, given http.route and the route name; its own span is an INTERNAL child; one duration metric', async () => {
    const { spans, durations } = await runFixture();
    const SERVER = 1;
    const INTERNAL = 0;
    const servers = spans.filter((span) => span.kind === SERVER);
    expect(servers).toEqual([
      { name: 'GET /v1/users/{id:int}', kind: SERVER, scope: '@opentelemetry/instrumentation-http', spanId: servers[0]?.spanId, route: '/v1/users/{id:int}' },
    ]);
    expect(spans.filter((span) => span.kind !== SERVER)).toEqual([
      { name: 'GET /v1/users/{id:int}', kind: INTERNAL, scope: 'stackware', spanId: expect.any(String), parent: servers[0].spanId, route: '/v1/users/{id:int}' },
    ]);
    // The request is counted once, by instrumentation-http, with the route stackware gave it.
    expect(durations).toEqual([{ scope: '@opentelemetry/instrumentation-http', route: '/v1/users/{id:int}', count: 1 }]);
  }, 40_000);
});
