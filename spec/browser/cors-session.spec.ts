import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { describeWith } from '../helpers';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Application, CORSMiddleware, HTMLResponse, SessionMiddleware } from 'stackware';

/**
 * CORS and sessions exist for browsers, so they are checked in one: Debian's Chromium, driven by
 * playwright-core. `.ci/run` installs Chromium; where it is missing this suite fails with a
 * message saying so.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const suite = describeWith(available, `Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`);


async function listen(app: Application): Promise<{ server: Server; origin: string }> {
  const server = await app.listen(0, '127.0.0.1');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

suite('in a real browser (Chromium)', () => {
  jest.setTimeout(30_000);
  let browser: Browser;
  let page: Page;
  const servers: Server[] = [];
  let pageOrigin = '';
  let allowedApi = '';
  let blockedApi = '';

  beforeAll(async () => {
    // The page's own server: it serves the HTML the scripts run in, and the session routes.
    const site = new Application();
    site.addMiddleware(SessionMiddleware, { secretKey: 'browser-test-secret' });
    site.get('/', () => new HTMLResponse('<!doctype html><title>stackware</title><p>page</p>'));
    site.get('/visit', (request) => {
      request.session.visits = Number(request.session.visits ?? 0) + 1;
      return new HTMLResponse(`<!doctype html><p id="visits">${String(request.session.visits)}</p>`);
    });
    const siteServer = await listen(site);
    servers.push(siteServer.server);
    pageOrigin = siteServer.origin;

    const api = (allowOrigins: string[]): Application => {
      const app = new Application();
      app.addMiddleware(CORSMiddleware, {
        allowOrigins,
        allowCredentials: true,
        allowMethods: ['GET', 'PUT'],
        allowHeaders: ['X-Custom'],
        exposeHeaders: ['X-Exposed'],
      });
      app.get('/data', (request) => {
        const response = new HTMLResponse(`cookie=${request.cookies.token ?? 'none'}`);
        response.headers.set('X-Exposed', 'visible');
        response.headers.set('X-Hidden', 'secret');
        return response;
      });
      app.put('/data', (request) => ({ custom: request.headers.get('x-custom') }));
      app.get('/login', () => {
        const response = new HTMLResponse('logged in');
        response.setCookie('token', 'abc', { sameSite: 'lax' });
        return response;
      });
      return app;
    };
    const allowed = await listen(api([pageOrigin]));
    const blocked = await listen(api(['http://somewhere-else.example']));
    servers.push(allowed.server, blocked.server);
    allowedApi = allowed.origin;
    blockedApi = blocked.origin;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext();
    page = await context.newPage();
    await page.goto(pageOrigin);
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('lets a credentialed cross-origin fetch through when CORSMiddleware allows the origin', async () => {
    // The cookie is set on the API's own origin first, then sent along cross-origin.
    const browserPage = await page.context().newPage();
    await browserPage.goto(`${allowedApi}/login`);
    await browserPage.close();
    const result = await page.evaluate(async (url) => {
      const res = await fetch(`${url}/data`, { credentials: 'include' });
      return { status: res.status, body: await res.text() };
    }, allowedApi);
    expect(result).toEqual({ status: 200, body: 'cookie=abc' });
  });

  it('lets the browser block the same fetch when the origin is not allowed', async () => {
    const outcome = await page.evaluate(async (url) => {
      try {
        await fetch(`${url}/data`, { credentials: 'include' });
        return 'allowed';
      } catch (error) {
        return `blocked: ${(error as Error).name}`;
      }
    }, blockedApi);
    expect(outcome).toBe('blocked: TypeError');
  });

  it('runs a preflighted PUT with a custom header', async () => {
    const result = await page.evaluate(async (url) => {
      const res = await fetch(`${url}/data`, { method: 'PUT', headers: { 'X-Custom': 'from-script' }, credentials: 'include' });
      return res.json();
    }, allowedApi);
    expect(result).toEqual({ custom: 'from-script' });
  });

  it('lets script read an exposed header and not an unexposed one', async () => {
    const headers = await page.evaluate(async (url) => {
      const res = await fetch(`${url}/data`, { credentials: 'include' });
      return { exposed: res.headers.get('x-exposed'), hidden: res.headers.get('x-hidden') };
    }, allowedApi);
    expect(headers).toEqual({ exposed: 'visible', hidden: null });
  });

  it('keeps a SessionMiddleware session across reloads', async () => {
    await page.goto(`${pageOrigin}/visit`);
    expect(await page.textContent('#visits')).toBe('1');
    await page.reload();
    expect(await page.textContent('#visits')).toBe('2');
    await page.reload();
    expect(await page.textContent('#visits')).toBe('3');
  });
});
