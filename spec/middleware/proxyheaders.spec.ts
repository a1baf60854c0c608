import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import {
  Application,
  HTTPSRedirectMiddleware,
  Headers,
  Middleware,
  ProxyHeadersMiddleware,
  Request,
  TrustedHostMiddleware,
  type ProxyHeadersOptions,
  type RequestSource,
} from 'stackware';
import { TrustedProxies } from '../../lib/proxy/trusted-proxies';
import { parseForwarded } from '../../lib/proxy/forwarded';
import { recordingLogger, serve } from '../helpers';

// uvicorn's tests/middleware/test_proxy_headers.py, ported. Its app answers "scheme://host:port".
const NOTHING: string[] = [];
const EVERYTHING = '*';
const EVERYTHING_LIST = ['*'];
const IPV4_ADDRESSES = '127.0.0.1, 10.0.0.1';
const IPV4_NETWORKS = ['127.0.0.0/8', '10.0.0.0/8'];
const IPV6_ADDRESSES = ['2001:db8::', '2001:0db8:0001:0000:0000:0ab9:C0A8:0102', '2001:db8:3333:4444:5555:6666:1.2.3.4', '::11.22.33.44'];
const IPV6_NETWORKS = '2001:db8:abcd:0012::0/64';
const LITERALS = 'some-literal , unix:///foo/bar  ,  /foo/bar, garba*gewith*';

const HOSTS = [
  '127.0.0.0', '127.0.0.1', '127.1.1.1', '127.255.255.255', '10.0.0.0', '10.0.0.1', '10.1.1.1', '10.255.255.255',
  '192.168.0.0', '192.168.0.1', '1.1.1.1', '2001:db8::', '2001:db8:abcd:0012::0', '2001:db8:abcd:0012::1:1', '::', '::1',
  '2001:db8:3333:4444:5555:6666:102:304', '::b16:212c', 'a:b:c:d::', '::a:b:c:d', 'some-literal', 'unix:///foo/bar', '/foo/bar',
  '*', 'another-literal', 'unix:///another/path', '/another/path', '',
];
const TRUSTED: Array<[string, string | string[], ReadonlySet<string>]> = [
  ['nothing', NOTHING, new Set()],
  ['everything', EVERYTHING, new Set(HOSTS)],
  ['everything (list)', EVERYTHING_LIST, new Set(HOSTS)],
  ['IPv4 addresses', IPV4_ADDRESSES, new Set(['127.0.0.1', '10.0.0.1'])],
  ['IPv6 addresses', IPV6_ADDRESSES, new Set(['2001:db8::', '2001:db8:3333:4444:5555:6666:102:304', '::b16:212c'])],
  ['IPv4 networks', IPV4_NETWORKS, new Set(['127.0.0.0', '127.0.0.1', '127.1.1.1', '127.255.255.255', '10.0.0.0', '10.0.0.1', '10.1.1.1', '10.255.255.255'])],
  ['IPv6 networks', IPV6_NETWORKS, new Set(['2001:db8:abcd:0012::0', '2001:db8:abcd:0012::1:1'])],
  ['literals', LITERALS, new Set(['some-literal', 'unix:///foo/bar', '/foo/bar'])],
];

describe('TrustedProxies (uvicorn: test_forwarded_hosts)', () => {
  const cases = TRUSTED.flatMap(([label, init, yes]) => HOSTS.map((host) => [label, init, host, yes.has(host)] as const));
  it.each(cases)('trusting %s: %j → %j is %s', (_label, init, host, expected) => {
    expect(new TrustedProxies(init).has(host)).toBe(expected);
  });
});

/** A request as uvicorn's tests make it: from 127.0.0.1:123 to http://testserver. */
function sourceFrom(headers: Iterable<readonly [string, string]>, client: { host: string; port: number } | null = { host: '127.0.0.1', port: 123 }): RequestSource {
  return {
    method: 'GET',
    target: '/',
    scheme: 'http',
    headers: () => new Headers([['host', 'testserver'], ...headers]),
    client: () => client,
    body: async function* () {
      /* no body */
    },
    onDisconnect: () => undefined,
  };
}

/** uvicorn's default_app behind the middleware: "scheme://host:port" of what the app sees. */
async function seen(options: ProxyHeadersOptions, headers: Iterable<readonly [string, string]>, client?: { host: string; port: number } | null): Promise<string> {
  const app = new Application({ logger: recordingLogger(), middleware: [new Middleware(ProxyHeadersMiddleware, options)] });
  app.get('/', (request) => `${request.scheme}://${request.client?.host}:${request.client?.port}`);
  const response = await app.handle(new Request(sourceFrom(headers, client), app));
  return JSON.parse(await response.text()) as string;
}

describe('ProxyHeadersMiddleware — uvicorn tests/middleware/test_proxy_headers.py', () => {
  it.each([
    ['*', 'https://1.2.3.4:0'],
    ['127.0.0.1', 'https://1.2.3.4:0'],
    [['127.0.0.1'], 'https://1.2.3.4:0'],
    [['127.0.0.1', '10.0.0.1'], 'https://1.2.3.4:0'],
    ['127.0.0.1, 10.0.0.1', 'https://1.2.3.4:0'],
    ['127.0.0.0/24, 10.0.0.1', 'https://1.2.3.4:0'],
    ['192.168.0.1', 'http://127.0.0.1:123'],
    ['192.168.0.0/16', 'http://127.0.0.1:123'],
    [['127.0.0.1', '1.2.3.4'], 'https://1.2.3.4:0'],
  ])('test_proxy_headers_trusted_hosts: trusting %j gives %s', async (trustedHosts, expected) => {
    expect(await seen({ trustedHosts }, [['x-forwarded-for', '1.2.3.4'], ['x-forwarded-proto', 'https']])).toBe(expected);
  });

  it.each([
    ['', '', 'http://127.0.0.1:123'],
    ['', null, 'http://127.0.0.1:123'],
    ['', 'asdf', 'http://127.0.0.1:123'],
    [' , ', 'https', 'https://127.0.0.1:123'],
    [', , ', 'https', 'https://127.0.0.1:123'],
    [' , 10.0.0.1', 'https', 'https://127.0.0.1:123'],
    ['9.9.9.9 , , , 10.0.0.1', 'https', 'https://127.0.0.1:123'],
    [', , 9.9.9.9', 'https', 'https://9.9.9.9:0'],
    [', , 9.9.9.9, , ', 'https', 'https://127.0.0.1:123'],
  ])('test_proxy_headers_trusted_hosts_malformed: for %j, proto %j gives %s', async (forwardedFor, proto, expected) => {
    const headers: Array<[string, string]> = [['x-forwarded-for', forwardedFor]];
    if (proto !== null) headers.push(['x-forwarded-proto', proto]);
    expect(await seen({ trustedHosts: '127.0.0.1, 10.0.0.0/8' }, headers)).toBe(expected);
  });

  it.each([
    ['*', 'https://1.2.3.4:0'],
    [['127.0.0.1', '10.0.2.1', '192.168.0.2'], 'https://1.2.3.4:0'],
    [['10.0.2.1', '192.168.0.2', '127.0.0.1'], 'https://1.2.3.4:0'],
    [['192.168.0.2', '127.0.0.1'], 'https://10.0.2.1:0'],
    [['127.0.0.1', '10.0.0.0/8', '192.168.0.2'], 'https://1.2.3.4:0'],
  ])('test_proxy_headers_multiple_proxies: trusting %j gives %s', async (trustedHosts, expected) => {
    expect(await seen({ trustedHosts }, [['x-forwarded-for', '1.2.3.4, 10.0.2.1, 192.168.0.2'], ['x-forwarded-proto', 'https']])).toBe(expected);
  });

  it('test_proxy_headers_invalid_x_forwarded_for', async () => {
    expect(await seen({ trustedHosts: '*' }, [['x-forwarded-for', '1.2.3.4, \xf0\xfd\xfd\xfd, unix:, ::1'], ['x-forwarded-proto', 'https']])).toBe('https://1.2.3.4:0');
  });

  it('test_proxy_headers_empty_x_forwarded_for', async () => {
    expect(await seen({ trustedHosts: '*' }, [['x-forwarded-for', ''], ['x-forwarded-proto', 'https']])).toBe('https://127.0.0.1:123');
  });
});

describe('ProxyHeadersMiddleware — beyond uvicorn', () => {
  it('merges several X-Forwarded-For headers, in order', async () => {
    const headers: Array<[string, string]> = [['x-forwarded-for', '1.2.3.4'], ['x-forwarded-for', '10.0.2.1'], ['x-forwarded-proto', 'https']];
    expect(await seen({ trustedHosts: ['127.0.0.1', '10.0.0.0/8'] }, headers)).toBe('https://1.2.3.4:0');
  });

  it('takes the last X-Forwarded-Proto, the one the nearest proxy set; ws/wss are http/https for an HTTP request', async () => {
    expect(await seen({}, [['x-forwarded-proto', 'http, https']])).toBe('https://127.0.0.1:123');
    expect(await seen({}, [['x-forwarded-proto', 'wss']])).toBe('https://127.0.0.1:123');
    expect(await seen({}, [['x-forwarded-proto', 'ws']])).toBe('http://127.0.0.1:123');
  });

  it('understands RFC 7239 Forwarded: the first untrusted for= from the right, with its proto', async () => {
    const header = 'for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.5;proto=http';
    expect(await seen({ trustedHosts: ['127.0.0.1', '10.0.0.0/8'] }, [['forwarded', header]])).toBe('https://2001:db8:cafe::17:0');
    expect(await seen({ trustedHosts: '*' }, [['forwarded', header]])).toBe('http://192.0.2.60:0');
    // Forwarded wins over X-Forwarded-For when both are there.
    expect(await seen({}, [['forwarded', 'for=5.6.7.8;proto=https'], ['x-forwarded-for', '1.2.3.4']])).toBe('https://5.6.7.8:0');
  });

  it('ignores a malformed Forwarded header whole, and an obfuscated or unknown for=', async () => {
    expect(await seen({}, [['forwarded', 'for=5.6.7.8;proto="https'], ['x-forwarded-for', '1.2.3.4']])).toBe('http://1.2.3.4:0');
    expect(await seen({}, [['forwarded', 'for=unknown;proto=https']])).toBe('https://127.0.0.1:123');
    expect(await seen({}, [['forwarded', 'for=_hidden']])).toBe('http://127.0.0.1:123');
    expect(parseForwarded('for=a;for=b')).toBeNull();
  });

  it('takes X-Forwarded-Host only when asked, and only a valid host', async () => {
    const app = (trustForwardedHost: boolean): Application => {
      const application = new Application({ logger: recordingLogger(), middleware: [new Middleware(ProxyHeadersMiddleware, { trustForwardedHost })] });
      application.get('/', (request) => request.url.href);
      return application;
    };
    const url = async (trust: boolean, host: string): Promise<string> =>
      JSON.parse(await (await app(trust).handle(new Request(sourceFrom([['x-forwarded-host', host], ['x-forwarded-proto', 'https']]), undefined))).text()) as string;
    expect(await url(false, 'api.example.com')).toBe('https://testserver/');
    expect(await url(true, 'api.example.com')).toBe('https://api.example.com/');
    expect(await url(true, 'example.com:@evil.com')).toBe('https://testserver/');
  });

  it('property: an untrusted peer can never change the client, the scheme or the host', async () => {
    const value = fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.constantFrom('https', 'wss', 'for=1.2.3.4;proto=https;host=evil.com'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'), value), { maxLength: 6 }), async (headers) => {
        const safe = headers.map(([name, v]) => [name, v.replace(/[^\t\x20-\x7e]/g, '')] as [string, string]);
        expect(await seen({ trustedHosts: ['10.0.0.0/8'], trustForwardedHost: true }, safe, { host: '192.0.2.1', port: 5555 })).toBe('http://192.0.2.1:5555');
      }),
      { numRuns: 200 },
    );
  });

  it('property: a trusted peer\'s headers, however malformed, never throw and give an IP client or the peer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (forwardedFor, forwarded) => {
        const clean = (v: string): string => v.replace(/[^\t\x20-\x7e]/g, '');
        const text = await seen({ trustedHosts: '*' }, [['x-forwarded-for', clean(forwardedFor)], ['forwarded', clean(forwarded)]]);
        expect(text).toMatch(/^https?:\/\/.+:\d+$/);
      }),
      { numRuns: 200 },
    );
  });
});

/** GET over a real socket from `localAddress`, with `headers`; resolves with the body. */
function getFrom(url: string, localAddress: string, headers: Record<string, string>, path = '/'): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, url), { localAddress, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.setTimeout(3000, () => req.destroy(new Error('timed out')));
    req.end();
  });
}

describe('ProxyHeadersMiddleware over real sockets (trusted 127.0.0.1, untrusted 127.0.0.2)', () => {
  function proxiedApp(redirect = true): Application {
    const app = new Application({
      logger: recordingLogger(),
      middleware: [
        new Middleware(TrustedHostMiddleware, { allowedHosts: ['example.com'] }),
        ...(redirect ? [new Middleware(HTTPSRedirectMiddleware)] : []),
      ],
    });
    app.get('/who', (request) => ({ client: request.client, scheme: request.scheme, url: request.url.href }));
    app.get('/docs/', () => 'docs');
    app.addMiddleware(ProxyHeadersMiddleware, { trustedHosts: ['127.0.0.1'] });
    return app;
  }
  const headers = { host: 'example.com', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };

  it('believes the trusted proxy: client, scheme and url are the client\'s; no HTTPS redirect loop', async () => {
    const server = await serve(proxiedApp());
    try {
      const answer = await getFrom(server.url, '127.0.0.1', headers, '/who');
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ client: { host: '203.0.113.9', port: 0 }, scheme: 'https', url: 'https://example.com/who' });
    } finally {
      await server.close();
    }
  });

  it('keeps the https scheme in a trailing-slash redirect behind a TLS proxy (no downgrade)', async () => {
    const server = await serve(proxiedApp());
    try {
      const answer = await getFrom(server.url, '127.0.0.1', headers, '/docs');
      expect([answer.status, answer.location]).toEqual([307, 'https://example.com/docs/']);
    } finally {
      await server.close();
    }
  });

  it('ignores the same headers from an untrusted peer: the peer is the client, the scheme is http', async () => {
    const server = await serve(proxiedApp());
    try {
      const answer = await getFrom(server.url, '127.0.0.2', headers, '/who');
      // Plain http from an untrusted peer: HTTPSRedirectMiddleware sends it to https.
      expect([answer.status, answer.location]).toEqual([307, 'https://example.com/who']);
    } finally {
      await server.close();
    }
    const plain = await serve(proxiedApp(false));
    try {
      const answer = await getFrom(plain.url, '127.0.0.2', headers, '/who');
      const seenByApp = JSON.parse(answer.body) as { client: { host: string }; scheme: string; url: string };
      expect([seenByApp.client.host, seenByApp.scheme, seenByApp.url]).toEqual(['127.0.0.2', 'http', 'http://example.com/who']);
    } finally {
      await plain.close();
    }
  });
});

describe('ProxyHeadersMiddleware through app.fetch', () => {
  it('sets the client and scheme with trustedHosts "*" (a web request has no peer address)', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.get('/who', (request) => ({ client: request.client, url: request.url.href }));
    app.addMiddleware(ProxyHeadersMiddleware, { trustedHosts: '*' });
    const response = await app.fetch(
      new globalThis.Request('http://example.com/who', { headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } }),
    );
    expect(await response.json()).toEqual({ client: { host: '203.0.113.9', port: 0 }, url: 'https://example.com/who' });
  });

  it('changes nothing with the default trustedHosts, since the peer is unknown', async () => {
    const app = new Application({ logger: recordingLogger() });
    app.get('/who', (request) => ({ client: request.client, url: request.url.href }));
    app.addMiddleware(ProxyHeadersMiddleware);
    const response = await app.fetch(new globalThis.Request('http://example.com/who', { headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } }));
    expect(await response.json()).toEqual({ client: null, url: 'http://example.com/who' });
  });
});

describe('request.setConnection', () => {
  it('refuses an unknown scheme and an invalid host with a TypeError, and keeps fields left out', () => {
    const request = new Request(sourceFrom([]));
    expect(() => request.setConnection({ scheme: 'ftp' as 'http' })).toThrow(TypeError);
    expect(() => request.setConnection({ host: 'example.com:@evil.com' })).toThrow(TypeError);
    expect(request.url.href).toBe('http://testserver/');
    request.setConnection({ scheme: 'https' });
    request.setConnection({ host: 'api.example.com:8443' });
    expect([request.url.href, request.client?.host]).toEqual(['https://api.example.com:8443/', '127.0.0.1']);
    request.setConnection({ client: null });
    expect(request.client).toBeNull();
  });
});
