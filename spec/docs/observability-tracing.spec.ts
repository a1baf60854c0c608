import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: number | string } }>;
}
interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }>;
  }>;
}

/** A stand-in for an OpenTelemetry collector: a real HTTP server taking OTLP/HTTP JSON exports. */
async function startCollector(): Promise<{ url: string; exports: OtlpExport[]; paths: string[]; close: () => Promise<void> }> {
  const exports: OtlpExport[] = [];
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      exports.push(JSON.parse(body) as OtlpExport);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, exports, paths, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// The exporter loads node:http with a dynamic import(), which jest's CommonJS runtime refuses: the
// application runs in a child process, as it would in production, and the collector here.
const root = join(__dirname, '..', '..');
const script = `
  const { startTracing } = require('./docs/examples/observability/tracing-setup.ts');
  const provider = startTracing(process.env.COLLECTOR_URL);
  const { app } = require('./docs/examples/observability/tracing.ts');
  (async () => {
    const server = await app.listen(0, '127.0.0.1');
    const base = 'http://127.0.0.1:' + server.address().port;
    const res = await fetch(base + '/orders/7', { headers: { traceparent: '00-' + process.env.TRACE_ID + '-00f067aa0ba902b7-01' } });
    console.log(JSON.stringify(await res.json()));
    await (await fetch(base + '/health')).text();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the background task runs after the response
    server.closeAllConnections();
    server.close();
    await provider.shutdown(); // flushes the batch to the collector
  })().catch((error) => { console.error(error); process.exit(1); });
`;

function runApp(collectorUrl: string, traceId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, timeout: 30_000, env: { ...process.env, COLLECTOR_URL: collectorUrl, TRACE_ID: traceId } }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`the application failed: ${error.message}\n${stderr}`));
      resolve(stdout.trim());
    });
  });
}

describe('docs/observability.md: tracing to a collector', () => {
  it('the OTLP exporter delivers the request span, the endpoint\'s child span and the background task\'s, in the caller\'s trace', async () => {
    const collector = await startCollector();
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      expect(JSON.parse(await runApp(collector.url, traceId))).toEqual({ id: 7, status: 'shipped' });
      const spans = collector.exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
      expect(collector.paths[0]).toBe('POST /v1/traces application/json');
      const resource = collector.exports[0].resourceSpans[0].resource.attributes.find((a) => a.key === 'service.name');
      expect(resource?.value.stringValue).toBe('orders');
      const byName = new Map(spans.map((span) => [span.name, span]));
      expect(spans.map((span) => span.name).sort()).toEqual(['GET /orders/{id:int}', 'load order', 'notify warehouse']); // /health skipped
      const request = byName.get('GET /orders/{id:int}')!;
      expect(request.kind).toBe(2); // SERVER
      expect(request.traceId).toBe(traceId);
      expect(request.parentSpanId).toBe('00f067aa0ba902b7');
      expect(request.attributes.find((a) => a.key === 'http.route')?.value.stringValue).toBe('/orders/{id:int}');
      for (const child of ['load order', 'notify warehouse']) expect(byName.get(child)?.parentSpanId).toBe(request.spanId);
    } finally {
      await collector.close();
    }
  }, 40_000);
});
