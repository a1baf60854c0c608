import {
  Application,
  BaseHTTPMiddleware,
  HTTPSRedirectMiddleware,
  Middleware,
  TrustedHostMiddleware,
  type CallNext,
  type Request,
  type Response,
} from 'stackware';
import { isValidHost, parseHost } from '../lib/host';
import { rawExchange, recordingLogger, serve } from './helpers';

// Each of these once reached the application, and `request.url` (and every redirect built from
// it) pointed to evil.com, or its host differed from the header's.
const POISONED = [
  'example.com:@evil.com',
  '127.0.0.1:@evil.com',
  'evil.com#.example.com',
  'evil.com/.example.com',
  'evil.com?.example.com',
  'evil.com\\.example.com',
  'example.com@evil.com',
  'user:pass@example.com',
  'evil.com:80@example.com',
  'example.com:abc',
  'example.com:65536',
  'example.com:80:80',
  'exa mple.com',
  'example..com',
  '.example.com',
  'example.com%2f.evil.com',
  '[::1',
  '[not-an-ip]',
  '[::1]x',
  '1.2.3',
  '0x7f.1',
  '1.2.3.4.',
  '01.2.3.4',
  'xn--zz.example.com',
  '',
];

const VALID: ReadonlyArray<readonly [string, string, number | null]> = [
  ['example.com', 'example.com', null],
  ['EXAMPLE.com', 'example.com', null],
  ['example.com.', 'example.com.', null],
  ['example.com:8000', 'example.com', 8000],
  ['example.com:', 'example.com', null],
  ['sub.example.com:443', 'sub.example.com', 443],
  ['localhost', 'localhost', null],
  ['my_host-1', 'my_host-1', null],
  ['127.0.0.1', '127.0.0.1', null],
  ['127.0.0.1:8000', '127.0.0.1', 8000],
  ['[::1]', '[::1]', null],
  ['[::1]:8000', '[::1]', 8000],
  ['[0:0::0001]:80', '[::1]', 80],
  ['[2001:DB8::1]', '[2001:db8::1]', null],
  ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', null],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example', null],
];

describe('parseHost: what a Host header may be', () => {
  it.each(POISONED)('refuses %j', (value) => {
    expect(parseHost(value)).toBeNull();
    expect(isValidHost(value)).toBe(false);
  });

  it.each(VALID)('accepts %j as host %j, port %j, the same host a URL built from it has', (value, hostname, port) => {
    expect(parseHost(value)).toEqual({ hostname, port });
    expect(new URL(`http://${value}/`).hostname).toBe(hostname);
  });

  it('is linear in the length of the value (16 KB of labels in well under a second)', () => {
    const long = `${'a.'.repeat(8000)}!`;
    const started = performance.now();
    for (let i = 0; i < 20; i++) parseHost(long);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

class RecordUrl extends BaseHTTPMiddleware {
  static seen: string[] = [];
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    RecordUrl.seen.push(request.url.href);
    return callNext(request);
  }
}

function guardedApp(): Application {
  const app = new Application({
    logger: recordingLogger(),
    middleware: [
      new Middleware(TrustedHostMiddleware, { allowedHosts: ['example.com', '*.example.com', '[::1]'] }),
      new Middleware(HTTPSRedirectMiddleware),
    ],
  });
  app.get('/x', (request) => ({ url: request.url.href }));
  return app;
}

function rawGet(host: string | null, path = '/x?y=1'): string {
  return `GET ${path} HTTP/1.1\r\n${host === null ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`;
}

describe('Host header poisoning over a real socket (node adapter)', () => {
  it.each(POISONED.filter((value) => value !== ''))('answers 400 to Host %j before any middleware, and never a Location to evil.com', async (host) => {
    RecordUrl.seen = [];
    const app = guardedApp();
    app.addMiddleware(RecordUrl);
    const server = await serve(app);
    try {
      const answer = await rawExchange(server.url, rawGet(host), 2000);
      expect(answer.startsWith('HTTP/1.1 400 ')).toBe(true);
      expect(answer).not.toMatch(/evil/i);
      expect(answer.toLowerCase()).not.toContain('location:');
      expect(RecordUrl.seen).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('answers 400 to two Host headers even when both are allowed (RFC 9112 §3.2)', async () => {
    const server = await serve(guardedApp());
    try {
      const answer = await rawExchange(server.url, 'GET /x HTTP/1.1\r\nHost: example.com\r\nHost: a.example.com\r\nConnection: close\r\n\r\n', 2000);
      expect(answer.startsWith('HTTP/1.1 400 ')).toBe(true);
      expect(answer).toContain('More than one Host header');
    } finally {
      await server.close();
    }
  });

  it.each([
    ['example.com', 'https://example.com/x?y=1'],
    ['EXAMPLE.COM:8443', 'https://example.com:8443/x?y=1'],
    ['a.example.com.', 'https://a.example.com./x?y=1'],
    ['[::1]:8000', 'https://[::1]:8000/x?y=1'],
  ])('redirects an allowed Host %j to its own host only (%s)', async (host, location) => {
    const server = await serve(guardedApp());
    try {
      const answer = await rawExchange(server.url, rawGet(host), 2000);
      expect(answer.startsWith('HTTP/1.1 307 ')).toBe(true);
      expect(answer).toContain(`location: ${location}\r\n`);
    } finally {
      await server.close();
    }
  });

  it('builds request.url from the validated header; a request without Host (HTTP/1.0) is localhost', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.get('/x', (request) => ({ url: request.url.href }));
    const server = await serve(app);
    try {
      const withHost = await rawExchange(server.url, rawGet('Example.COM:8000'), 2000);
      expect(withHost).toContain('{"url":"http://example.com:8000/x?y=1"}');
      const old = await rawExchange(server.url, 'GET /x HTTP/1.0\r\n\r\n', 2000);
      expect(old).toContain('{"url":"http://localhost/x"}');
    } finally {
      await server.close();
    }
  });

  it('joins several Cookie headers with "; ", as Node does, so each cookie keeps its own value', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.get('/c', (request) => request.cookies);
    const server = await serve(app);
    try {
      const answer = await rawExchange(server.url, 'GET /c HTTP/1.1\r\nHost: example.com\r\nCookie: a=1\r\nCookie: b=2\r\nConnection: close\r\n\r\n', 2000);
      expect(answer).toContain('{"a":"1","b":"2"}');
    } finally {
      await server.close();
    }
  });
});

describe('Host header poisoning through app.fetch', () => {
  it.each(POISONED.filter((value) => value !== ''))('answers 400 to a host header %j', async (host) => {
    RecordUrl.seen = [];
    const app = guardedApp();
    app.addMiddleware(RecordUrl);
    const response = await app.fetch(new globalThis.Request('http://example.com/x?y=1', { headers: { host } }));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(RecordUrl.seen).toEqual([]);
  });

  it('takes the host from the URL when the web request has no host header', async () => {
    const response = await guardedApp().fetch(new globalThis.Request('http://a.example.com/x?y=1'));
    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe('https://a.example.com/x?y=1');
  });
});
