import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet from 'helmet';
import request from 'supertest';
import { Application, HTMLResponse, Middleware, PlainTextResponse, SecurityHeadersMiddleware, type SecurityHeadersOptions } from 'stackware';
import { serve } from '../helpers';

const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'content-length', 'content-type', 'transfer-encoding', 'etag']);
const security = (headers: IncomingHttpHeaders) => Object.fromEntries(Object.entries(headers).filter(([name]) => !TRANSPORT.has(name)).sort());

async function helmetHeaders(options?: Parameters<typeof helmet>[0]): Promise<Record<string, unknown>> {
  const middleware = helmet(options);
  const server = createServer((req, res) => middleware(req, res, () => res.end('ok')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return security(Object.fromEntries(res.headers));
  } finally {
    server.close();
  }
}

async function stackwareHeaders(options?: SecurityHeadersOptions): Promise<Record<string, unknown>> {
  const app = new Application();
  app.addMiddleware(SecurityHeadersMiddleware, options);
  app.get('/', () => new PlainTextResponse('ok'));
  const server = await serve(app);
  try {
    const res = await fetch(`${server.url}/`);
    return security(Object.fromEntries(res.headers));
  } finally {
    await server.close();
  }
}

describe('SecurityHeadersMiddleware', () => {
  it('sets the same headers with the same values as the real helmet 8 package by default', async () => {
    const expected = await helmetHeaders();
    expect(Object.keys(expected)).toContain('content-security-policy');
    expect(await stackwareHeaders()).toEqual(expected);
  });

  it('matches helmet with the same options changed and removed', async () => {
    const expected = await helmetHeaders({
      contentSecurityPolicy: { directives: { scriptSrc: ["'self'", 'https://cdn.example.com'], upgradeInsecureRequests: null } },
      crossOriginEmbedderPolicy: true,
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: ['origin', 'strict-origin-when-cross-origin'] },
      strictTransportSecurity: { maxAge: 600, includeSubDomains: false, preload: true },
      xDnsPrefetchControl: false,
      xXssProtection: false,
    });
    const ours = await stackwareHeaders({
      contentSecurityPolicy: { directives: { scriptSrc: ["'self'", 'https://cdn.example.com'], upgradeInsecureRequests: null } },
      crossOriginEmbedderPolicy: 'require-corp',
      xFrameOptions: 'DENY',
      referrerPolicy: ['origin', 'strict-origin-when-cross-origin'],
      strictTransportSecurity: { maxAge: 600, includeSubDomains: false, preload: true },
      xDnsPrefetchControl: false,
      xXssProtection: false,
    });
    expect(ours).toEqual(expected);
  });

  it('leaves out every header given false, and X-Powered-By set by the endpoint', async () => {
    const off: SecurityHeadersOptions = {
      contentSecurityPolicy: false,
      crossOriginOpenerPolicy: false,
      crossOriginResourcePolicy: false,
      originAgentCluster: false,
      referrerPolicy: false,
      strictTransportSecurity: false,
      xContentTypeOptions: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xFrameOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    };
    const app = new Application();
    app.addMiddleware(SecurityHeadersMiddleware, off);
    app.get('/', () => new PlainTextResponse('ok', { headers: { 'x-powered-by': 'Express' } }));
    const res = await request(app.callback()).get('/');
    expect(security(res.headers)).toEqual({});
  });

  it('sends Content-Security-Policy-Report-Only with reportOnly', async () => {
    const headers = await stackwareHeaders({ contentSecurityPolicy: { reportOnly: true, useDefaults: false, directives: { defaultSrc: "'self'", 'report-uri': '/csp' } } });
    expect(headers['content-security-policy-report-only']).toBe("default-src 'self';report-uri /csp");
    expect(headers).not.toHaveProperty('content-security-policy');
  });

  it('keeps a header the endpoint set, and lets a route replace the whole set through its middleware list', async () => {
    const app = new Application();
    app.addMiddleware(SecurityHeadersMiddleware);
    app.get('/own', () => new PlainTextResponse('ok', { headers: { 'x-frame-options': 'DENY' } }));
    app.get('/embed', () => new PlainTextResponse('ok'), {
      middleware: [new Middleware(SecurityHeadersMiddleware, { xFrameOptions: false, contentSecurityPolicy: { directives: { frameAncestors: ['https://partner.example'] } } })],
    });
    const client = request(app.callback());
    expect((await client.get('/own')).headers['x-frame-options']).toBe('DENY');
    const embed = await client.get('/embed');
    expect(embed.headers).not.toHaveProperty('x-frame-options');
    expect(embed.headers['content-security-policy']).toContain('frame-ancestors https://partner.example;');
    expect(embed.headers['x-content-type-options']).toBe('nosniff');
  });

  it('puts a fresh request.cspNonce into script-src and style-src of every response', async () => {
    const app = new Application();
    app.addMiddleware(SecurityHeadersMiddleware, { cspNonce: true });
    app.get('/', (req) => new HTMLResponse(`<script nonce="${req.cspNonce}">1</script>`));
    const client = request(app.callback());
    const nonces = new Set<string>();
    for (let i = 0; i < 3; i += 1) {
      const res = await client.get('/');
      const nonce = /nonce="([^"]+)"/.exec(res.text)![1];
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      nonces.add(nonce);
      expect(res.headers['content-security-policy']).toContain(`script-src 'self' 'nonce-${nonce}';`);
      expect(res.headers['content-security-policy']).toContain(`style-src 'self' https: 'unsafe-inline' 'nonce-${nonce}'`);
    }
    expect(nonces.size).toBe(3);
  });

  it('request.cspNonce throws without a middleware that makes one', async () => {
    const app = new Application();
    app.addMiddleware(SecurityHeadersMiddleware);
    let message = '';
    app.get('/', (req) => {
      try {
        return req.cspNonce;
      } catch (error) {
        message = (error as Error).message;
        return 'none';
      }
    });
    await request(app.callback()).get('/').expect(200);
    expect(message).toBe('SecurityHeadersMiddleware with cspNonce: true must be installed to access request.cspNonce');
  });

  it('refuses options that would break a header', () => {
    const bad: SecurityHeadersOptions[] = [
      { contentSecurityPolicy: { directives: { scriptSrc: ["'self'; report-uri evil"] } } },
      { contentSecurityPolicy: { directives: { 'script src': ["'self'"] } } },
      { referrerPolicy: 'everything' },
      { strictTransportSecurity: { maxAge: -1 } },
      { cspNonce: true, contentSecurityPolicy: false },
    ];
    const app = new Application();
    app.get('/', () => 'ok');
    for (const options of bad) expect(() => new SecurityHeadersMiddleware(app, options)).toThrow(TypeError);
  });
});
