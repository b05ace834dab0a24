import { createHash } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, noChromium } from '../support/browser.js';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

/** The directives of a Content-Security-Policy header, by name. */
function directives(header: string | null): Record<string, string[]> {
  return Object.fromEntries(
    (header ?? '')
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

/** A free port, for a ledger whose PUBLIC_URL must name it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(skip)(`security headers${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let token: string;
  beforeAll(async () => {
    ledger = await startTestLedger();
    token = (await ledger.signUp()).accessToken;
  });
  afterAll(() => ledger?.close());

  it('are on every answer: no sniffing, no framing, no referrer, a policy that renders and runs nothing', async () => {
    for (const [path, init] of [
      ['/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } }],
      ['/api/v1/clients?page=0', { headers: { authorization: `Bearer ${token}` } }], // a 400 problem
      ['/api/v1/no-such-route', {}], // a 404 problem
      ['/health', {}],
      ['/openapi.json', {}],
      ['/metrics', {}],
    ] as const) {
      const response = await fetch(`${ledger.url}${path}`, init);
      await response.arrayBuffer();
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      const policy = directives(response.headers.get('content-security-policy'));
      expect(policy['default-src'], path).toEqual(["'none'"]);
      expect(policy['frame-ancestors'], path).toEqual(["'none'"]);
      // Served over plain http: no HSTS, which a browser would ignore anyway and a proxy might cache wrongly.
      expect(response.headers.get('strict-transport-security'), path).toBeNull();
      expect(response.headers.get('x-powered-by'), path).toBeNull();
    }
  });

  it('give the docs a policy of their own that allows their scripts and inline styles, by hash', async () => {
    const response = await fetch(`${ledger.url}/docs/`);
    const html = await response.text();
    expect(response.status).toBe(200);
    const policy = directives(response.headers.get('content-security-policy'));
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    expect(policy['script-src']).toEqual(["'self'"]);
    expect(Object.values(policy).flat()).not.toContain("'unsafe-inline'");
    // Every script of the page is a file of its own; every inline style block is allowed by its hash.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]!);
    expect(styles.length).toBeGreaterThan(0);
    for (const style of styles)
      expect(policy['style-src']).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  it('send HSTS when a trusted proxy says the request came over https, and only then', async () => {
    const proxied = await startTestLedger({ env: { TRUST_PROXY: 'loopback' } });
    try {
      const over = async (ledgerUrl: string, proto: string) =>
        (await fetch(`${ledgerUrl}/health`, { headers: { 'x-forwarded-proto': proto } })).headers.get(
          'strict-transport-security',
        );
      expect(await over(proxied.url, 'https')).toMatch(/max-age=\d{7,}/);
      expect(await over(proxied.url, 'http')).toBeNull();
      expect(await over(ledger.url, 'https')).toBeNull(); // no proxy is trusted: anyone may write that header
    } finally {
      await proxied.close();
    }
  });

  it('send HSTS on every answer when PUBLIC_URL is https', async () => {
    const port = await freePort();
    const behindTls = await startTestLedger({ env: { PORT: String(port), PUBLIC_URL: `https://localhost:${port}` } });
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
    } finally {
      await behindTls.close();
    }
  });

  it.skipIf(noChromium)(
    `let the docs page work in a browser under its policy${noChromium ? ` (skipped: no Chromium at ${CHROMIUM})` : ''}`,
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const violations: string[] = [];
        page.on('console', (message) => {
          if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
        });
        await page.addInitScript({
          content:
            "document.addEventListener('securitypolicyviolation', (event) => " +
            'console.error(`Content Security Policy: ${event.violatedDirective} ${event.blockedURI}`))',
        });
        await page.goto(`${ledger.url}/docs`); // as the ledger prints it at start
        // Swagger UI has run (its scripts loaded) and rendered the document with its styles.
        await page.locator('.swagger-ui .info .title').filter({ hasText: 'Compliance Ledger API' }).waitFor();
        await page.locator('.opblock').first().waitFor();
        const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
        expect(background).toBe('rgb(250, 250, 250)'); // from the page's inline <style>
        // Try it out: a request from the page to the API.
        await page
          .locator('.opblock-summary-path', { hasText: /^\/health$/ })
          .first()
          .click();
        await page.getByRole('button', { name: 'Try it out' }).first().click();
        await page.getByRole('button', { name: 'Execute' }).first().click();
        await page.locator('.responses-table .response-col_status', { hasText: '200' }).first().waitFor();
        expect(violations).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
