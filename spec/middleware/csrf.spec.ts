import request from 'supertest';
import { Application, CSRFMiddleware, csrfToken, HTMLResponse, type CSRFOptions } from 'stackware';

const secret = 'csrf-secret-of-at-least-32-bytes-long!';

function app(options?: CSRFOptions): Application {
  const application = new Application();
  application.addMiddleware(CSRFMiddleware, options);
  application.get('/form', (req) => new HTMLResponse(`<input name="csrftoken" value="${options?.token ? csrfToken(req) : ''}">`));
  application.post('/transfer', async (req) => ({ ok: true, form: Object.fromEntries(await req.form()) }));
  application.put('/api/item', () => ({ ok: true }));
  application.post('/webhooks/stripe', () => ({ ok: true }));
  return application;
}

describe('CSRFMiddleware: Fetch Metadata and Origin (Hono csrf)', () => {
  const client = request(app().callback());
  const form = (req: request.Test) => req.type('form').send('amount=100');

  it('accepts same-origin requests by Sec-Fetch-Site, and by Origin equal to the request origin', async () => {
    await form(client.post('/transfer').set('Sec-Fetch-Site', 'same-origin')).expect(200);
    const res = await form(client.post('/transfer').set('Host', 'bank.test').set('Origin', 'http://bank.test'));
    expect(res.status).toBe(200);
    expect(res.body.form).toEqual({ amount: '100' });
  });

  it('refuses a cross-site form post with 403 saying why', async () => {
    const res = await form(client.post('/transfer').set('Sec-Fetch-Site', 'cross-site').set('Origin', 'https://evil.test'));
    expect(res.status).toBe(403);
    expect(res.text).toBe('CSRF check failed: the request is cross-site (Sec-Fetch-Site) and its origin https://evil.test is not allowed');
    const noFetchMetadata = await form(client.post('/transfer').set('Host', 'bank.test').set('Origin', 'https://evil.test'));
    expect(noFetchMetadata.status).toBe(403);
    expect(noFetchMetadata.text).toBe('CSRF check failed: the origin https://evil.test is not allowed');
    expect((await form(client.post('/transfer').set('Origin', 'null'))).status).toBe(403);
    expect((await form(client.post('/transfer').set('Sec-Fetch-Site', 'same-site'))).status).toBe(403);
  });

  it('refuses every unsafe method, JSON bodies too, when the browser says cross-site', async () => {
    for (const method of ['post', 'put', 'patch', 'delete'] as const) {
      const res = await client[method]('/api/item').set('Sec-Fetch-Site', 'cross-site').send({ a: 1 });
      expect(res.status).toBe(403);
    }
  });

  it('lets safe methods through whatever the origin', async () => {
    await client.get('/form').set('Sec-Fetch-Site', 'cross-site').set('Origin', 'https://evil.test').expect(200);
    await client.head('/form').set('Sec-Fetch-Site', 'cross-site').expect(200);
  });

  it('refuses a form post with neither header, lets a JSON request with neither header through (a page cannot send one cross-site without CORS)', async () => {
    const res = await form(client.post('/transfer'));
    expect(res.status).toBe(403);
    expect(res.text).toContain('without Sec-Fetch-Site or Origin');
    await client.put('/api/item').send({ a: 1 }).expect(200);
  });

  it('accepts origins and Sec-Fetch-Site values it is told to', async () => {
    const lenient = request(app({ allowedOrigins: ['https://app.bank.test'], allowedSecFetchSites: ['same-site'] }).callback());
    await form(lenient.post('/transfer').set('Sec-Fetch-Site', 'cross-site').set('Origin', 'https://app.bank.test')).expect(200);
    await form(lenient.post('/transfer').set('Sec-Fetch-Site', 'same-site')).expect(200);
    await form(lenient.post('/transfer').set('Sec-Fetch-Site', 'cross-site').set('Origin', 'https://evil.test')).expect(403);
    // The request's own origin stays allowed beside the list.
    await form(lenient.post('/transfer').set('Host', 'bank.test').set('Origin', 'http://bank.test')).expect(200);
    const byFunction = request(app({ allowedOrigins: (origin) => origin.endsWith('.bank.test') }).callback());
    await form(byFunction.post('/transfer').set('Origin', 'https://x.bank.test')).expect(200);
    await form(byFunction.post('/transfer').set('Origin', 'https://bank.test.evil')).expect(403);
  });

  it('skips exempt paths and methods made safe', async () => {
    const custom = request(app({ exemptPaths: [/^\/webhooks\//], safeMethods: ['GET', 'HEAD', 'PUT'] }).callback());
    await custom.post('/webhooks/stripe').set('Sec-Fetch-Site', 'cross-site').expect(200);
    await custom.put('/api/item').set('Sec-Fetch-Site', 'cross-site').expect(200);
    await form(custom.post('/transfer').set('Sec-Fetch-Site', 'cross-site')).expect(403);
  });

  it('with allowWithoutCookies, never blocks a request that carries no cookie', async () => {
    const api = request(app({ allowWithoutCookies: true }).callback());
    await form(api.post('/transfer').set('Sec-Fetch-Site', 'cross-site').set('Origin', 'https://evil.test')).expect(200);
    await form(api.post('/transfer').set('Sec-Fetch-Site', 'cross-site').set('Cookie', 'session=abc')).expect(403);
  });

  it('answers with onFailure when given', async () => {
    const custom = request(app({ onFailure: (_req, reason) => new HTMLResponse(`<p>${reason}</p>`, { statusCode: 419 }) }).callback());
    const res = await form(custom.post('/transfer').set('Sec-Fetch-Site', 'cross-site'));
    expect(res.status).toBe(419);
    expect(res.text).toBe('<p>the request is cross-site (Sec-Fetch-Site)</p>');
  });
});

describe('CSRFMiddleware: double-submit token (starlette-csrf) for clients without Fetch Metadata or Origin', () => {
  const client = request(app({ token: { secret } }).callback());

  async function token(): Promise<string> {
    const res = await client.get('/form').expect(200);
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('csrftoken='))!;
    expect(cookie).not.toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const value = cookie.slice('csrftoken='.length).split(';')[0];
    expect(res.text).toBe(`<input name="csrftoken" value="${value}">`);
    return value;
  }

  it('accepts the token in the header or in the form field, matching the cookie', async () => {
    const value = await token();
    await client.post('/transfer').set('Cookie', `csrftoken=${value}`).set('X-CSRFToken', value).type('form').send('amount=1').expect(200);
    const res = await client.post('/transfer').set('Cookie', `csrftoken=${value}`).type('form').send(`amount=1&csrftoken=${value}`);
    expect(res.status).toBe(200);
    expect(res.body.form.amount).toBe('1');
  });

  it('refuses a missing cookie, a missing token, a token that differs, and a cookie it did not sign, saying which', async () => {
    const value = await token();
    const other = await token();
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'X-CSRFToken': value }, 'the csrftoken cookie is missing'],
      [{ Cookie: `csrftoken=${value}` }, 'the token was sent in neither the x-csrftoken header nor the csrftoken form field'],
      [{ Cookie: `csrftoken=${value}`, 'X-CSRFToken': other }, 'the token sent does not match the csrftoken cookie'],
      [{ Cookie: 'csrftoken=forged.signature', 'X-CSRFToken': 'forged.signature' }, 'the csrftoken cookie is not a token this application signed'],
    ];
    for (const [headers, reason] of cases) {
      const res = await client.post('/transfer').set(headers).type('form').send('amount=1');
      expect(res.status).toBe(403);
      expect(res.text).toBe(`CSRF check failed: ${reason}`);
    }
  });

  it('keeps the cookie a request brought, and still judges browsers by their headers', async () => {
    const value = await token();
    const res = await client.get('/form').set('Cookie', `csrftoken=${value}`);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.text).toContain(value);
    await client.post('/transfer').set('Sec-Fetch-Site', 'same-origin').type('form').send('a=1').expect(200);
    await client.post('/transfer').set('Sec-Fetch-Site', 'cross-site').set('Cookie', `csrftoken=${value}`).set('X-CSRFToken', value).expect(403);
  });

  it('refuses a short secret and csrfToken without the token option', async () => {
    const plain = new Application();
    expect(() => new CSRFMiddleware(plain, { token: { secret: 'short' } })).toThrow(TypeError);
    const res = await request(app().callback()).get('/form');
    expect(res.status).toBe(200);
    const noToken = new Application();
    noToken.addMiddleware(CSRFMiddleware);
    let message = '';
    noToken.get('/', (req) => {
      try {
        csrfToken(req);
      } catch (error) {
        message = (error as Error).message;
      }
      return 'ok';
    });
    await request(noToken.callback()).get('/').expect(200);
    expect(message).toBe('csrfToken(request) needs CSRFMiddleware with the token option');
  });
});
