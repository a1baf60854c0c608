import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Application, CSRFMiddleware, HTMLResponse, SecurityHeadersMiddleware } from 'stackware';
import { describeWith } from '../helpers';

/**
 * CSRF protection and the CSP nonce exist for browsers, so a real one judges them: Debian's
 * Chromium, driven by playwright-core. The attacker's page is served from another origin
 * (127.0.0.2) and posts a form to the application on 127.0.0.1.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const suite = describeWith(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`);

async function listen(app: Application, host: string): Promise<{ server: Server; origin: string }> {
  const server = await app.listen(0, host);
  return { server, origin: `http://${host}:${(server.address() as AddressInfo).port}` };
}

const transferForm = (action: string) =>
  `<!doctype html><form id="f" method="post" action="${action}"><input name="amount" value="100"><button>Send</button></form>`;

suite('CSRF and CSP nonces in a real browser (Chromium)', () => {
  jest.setTimeout(30_000);
  let browser: Browser;
  let page: Page;
  const servers: Server[] = [];
  let appOrigin = '';
  let attackerOrigin = '';
  const received: string[] = [];

  beforeAll(async () => {
    const app = new Application();
    // upgrade-insecure-requests would send the form to https:// on this plain-HTTP test server.
    app.addMiddleware(SecurityHeadersMiddleware, { cspNonce: true, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
    app.addMiddleware(CSRFMiddleware);
    app.get('/form', () => new HTMLResponse(transferForm('/transfer')));
    app.post('/transfer', async (request) => {
      const form = await request.form();
      received.push(String(form.get('amount')));
      return new HTMLResponse(`<p id="result">transferred ${String(form.get('amount'))}</p>`);
    });
    app.get('/scripts', (request) =>
      new HTMLResponse(
        `<!doctype html><p id="out"></p>` +
          `<script nonce="${request.cspNonce}">document.getElementById('out').dataset.withNonce = 'ran';</script>` +
          `<script>document.getElementById('out').dataset.withoutNonce = 'ran';</script>` +
          `<script nonce="not-the-nonce">document.getElementById('out').dataset.wrongNonce = 'ran';</script>`,
      ),
    );
    const served = await listen(app, '127.0.0.1');
    servers.push(served.server);
    appOrigin = served.origin;

    const attacker = new Application();
    attacker.get('/', () => new HTMLResponse(transferForm(`${appOrigin}/transfer`)));
    const evil = await listen(attacker, '127.0.0.2');
    servers.push(evil.server);
    attackerOrigin = evil.origin;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await (await browser.newContext()).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a form another origin (127.0.0.2) posts to the application', async () => {
    received.length = 0;
    await page.goto(`${attackerOrigin}/`);
    const [response] = await Promise.all([page.waitForNavigation({ timeout: 10_000 }), page.click('button')]);
    expect(response?.status()).toBe(403);
    expect(await page.textContent('body')).toContain('CSRF check failed: the request is cross-site (Sec-Fetch-Site)');
    expect(received).toEqual([]);
  });

  it('lets the same form through from the application origin', async () => {
    received.length = 0;
    await page.goto(`${appOrigin}/form`);
    const [response] = await Promise.all([page.waitForNavigation({ timeout: 10_000 }), page.click('button')]);
    expect(response?.status()).toBe(200);
    expect(await page.textContent('#result')).toBe('transferred 100');
    expect(received).toEqual(['100']);
  });

  it('runs the script with the request nonce and blocks those without it', async () => {
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && message.text().includes('Content Security Policy')) blocked.push(message.text());
    });
    await page.goto(`${appOrigin}/scripts`);
    const data = await page.evaluate('({ ...document.getElementById("out").dataset })');
    expect(data).toEqual({ withNonce: 'ran' });
    expect(blocked.length).toBe(2);
  });
});
