/**
 * The links the mails carry, opened in a real browser (headless Chromium) as the person who got the mail opens them:
 * the page completes the step under its own strict policy, says that it worked, and takes the token out of the
 * address bar.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, noChromium } from '../support/browser.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs } from '../support/services.js';

const skip = needs('postgres').skip || needs('redis').skip || noChromium;
const why = noChromium ? ` (skipped: no Chromium at ${CHROMIUM})` : ' (skipped: no postgres or redis)';

describe.skipIf(skip)(`the pages the mails link to, in a browser${skip ? why : ''}`, () => {
  let ledger: TestLedger;
  let browser: Browser;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  const password = 'a password long enough';

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await ledger?.close();
  });

  /** Opens the link of a mail on this ledger, collecting what the page's policy refused. */
  async function openLink(mail: string, path: string): Promise<{ page: Page; refused: string[] }> {
    const link = new URL(new RegExp(`https?://[^\\s"<>]+${path}\\?token=[A-Za-z0-9._-]+`).exec(mail)![0]);
    const page = await browser.newPage();
    const refused: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    await page.goto(new URL(`${link.pathname}${link.search}`, ledger.url).href);
    return { page, refused };
  }

  /** What the page says once it has an answer ("One moment…" is not one). */
  const outcome = async (page: Page) => {
    const status = page.locator('#status[data-outcome]:not([data-outcome="pending"])');
    await status.waitFor();
    return { kind: await status.getAttribute('data-outcome'), text: (await status.textContent()) ?? '' };
  };

  it('verifies an address from the link in the mail, and the account can sign in', async () => {
    const email = `browser-${randomBytes(4).toString('hex')}@example.com`;
    const registered = await ledger.request('POST', '/auth/register', {
      body: { email, password, name: 'Browser Person', organizationName: 'Browser MSP' },
    });
    expect(registered.status).toBe(201);
    const { page, refused } = await openLink(ledger.lastMailTo(email), '/verify-email');
    expect(page.url()).not.toContain('token=');
    const button = page.getByRole('button');
    if (await button.isVisible()) await button.click();
    expect(await outcome(page)).toMatchObject({ kind: 'ok' });
    expect(refused).toEqual([]);
    expect((await ledger.request('POST', '/auth/login', { body: { email, password } })).status).toBe(200);
    await page.close();
  });

  it('accepts an invitation by keyboard: name and password typed, the differing confirmation caught first', async () => {
    const email = `invitee-${randomBytes(4).toString('hex')}@example.com`;
    const invited = await ledger.request('POST', '/users/invite', {
      token: admin.accessToken,
      body: { email, role: 'auditor' },
    });
    expect(invited.status).toBe(201);
    const { page, refused } = await openLink(ledger.lastMailTo(email), '/accept-invite');
    expect(page.url()).not.toContain('token=');
    const fields = page.locator('form:visible input');
    await fields.nth(0).fill('Ivy Invitee');
    await fields.nth(1).fill(password);
    await fields.nth(2).fill(`${password}!`);
    await fields.nth(2).press('Enter');
    expect(await outcome(page)).toMatchObject({ kind: 'error', text: expect.stringMatching(/not the same/) });
    await fields.nth(2).fill(password);
    await fields.nth(2).press('Enter');
    await expect.poll(async () => (await outcome(page)).kind, { timeout: 10_000 }).toBe('ok');
    expect((await outcome(page)).text).toMatch(/accepted/);
    expect(refused).toEqual([]);
    expect((await ledger.request('POST', '/auth/login', { body: { email, password } })).status).toBe(200);
    await page.close();
  });
});
