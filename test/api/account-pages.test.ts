import { createHash, randomBytes } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface FakeInput {
  name: string;
  value: string;
}
interface FakeForm {
  dataset: Record<string, string>;
  hidden: boolean;
  inputs: FakeInput[];
  submit?: (event: { preventDefault(): void }) => Promise<void>;
  button: { disabled: boolean };
}

/**
 * What a browser does with one of the pages, without a browser: the page's one script runs against a minimal DOM
 * built from its forms, with the real fetch, relative URLs resolved against the page's address as a browser does.
 */
function openInFakeBrowser(html: string, url: URL) {
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
  const forms: FakeForm[] = [...html.matchAll(/<form ([^>]*)>([\s\S]*?)<\/form>/g)].map(([, attributes, inner]) => ({
    dataset: Object.fromEntries(
      [...attributes!.matchAll(/data-(\w+)="([^"]*)"/g)].map(([, k, v]) => [
        k!,
        v!
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&'),
      ]),
    ),
    hidden: /\shidden/.test(attributes!),
    inputs: [...inner!.matchAll(/<input [^>]*name="(\w+)"/g)].map(([, name]) => ({ name: name!, value: '' })),
    button: { disabled: false },
  }));
  const status = { className: '', textContent: '', dataset: {} as Record<string, string> };
  const addressBar = { href: url.href };
  const requests: Array<{ url: string; body: string }> = [];
  const context = {
    URLSearchParams,
    JSON,
    Boolean,
    location: { search: url.search, hash: url.hash, pathname: url.pathname },
    history: { replaceState: (_s: unknown, _t: string, path: string) => (addressBar.href = new URL(path, url).href) },
    document: {
      getElementById: (id: string) => (id === 'status' ? status : null),
      querySelectorAll: (selector: string) => (selector === 'form' ? forms.map(domOf) : []),
    },
    fetch: async (path: string, init: { body: string; method: string; headers: Record<string, string> }) => {
      const target = new URL(path, url).href;
      requests.push({ url: target, body: init.body });
      return fetch(target, init);
    },
  };
  function domOf(form: FakeForm) {
    return {
      dataset: form.dataset,
      get hidden() {
        return form.hidden;
      },
      set hidden(value: boolean) {
        form.hidden = value;
      },
      addEventListener: (_type: string, listener: FakeForm['submit']) => (form.submit = listener),
      querySelectorAll: () => form.inputs,
      querySelector: (selector: string) =>
        selector === 'button' ? form.button : (form.inputs.find((i) => selector.includes(`name=${i.name}`)) ?? null),
    };
  }
  runInNewContext(script, context);
  return {
    status,
    addressBar,
    requests,
    visibleForms: () => forms.filter((f) => !f.hidden),
    /** Fills the visible form and submits it, as a person would. */
    async submit(values: Record<string, string>) {
      const [form] = forms.filter((f) => !f.hidden);
      for (const input of form!.inputs) input.value = values[input.name] ?? '';
      await form!.submit!({ preventDefault() {} });
      return status;
    },
  };
}

describe.skipIf(skip)(`the pages the mails link to${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  const password = 'a password long enough';

  beforeAll(async () => {
    ledger = await startTestLedger({ captureLogs: true });
    admin = await ledger.signUp();
  });
  afterAll(() => ledger?.close());

  /** The link of a mail, opened on this ledger: the page, checked for what a strict page must be. */
  async function open(mail: string, path: string) {
    const link = new RegExp(`https?://[^\\s"<>]+${path}\\?token=[A-Za-z0-9._-]+`).exec(mail)![0];
    const url = new URL(link);
    const local = new URL(`${url.pathname}${url.search}`, ledger.url);
    const response = await fetch(local);
    expect(response.status, link).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    const csp = response.headers.get('content-security-policy')!;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    for (const directive of [
      "default-src 'none'",
      "connect-src 'self'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    // Nothing from elsewhere: no src or href at all, no address of another origin.
    expect(html).not.toMatch(/\ssrc=|\shref=|https?:\/\//);
    return { html, url: local, token: url.searchParams.get('token')! };
  }

  it('verifies an address from the link in the mail, and says so', async () => {
    const email = `page-${randomBytes(4).toString('hex')}@example.com`;
    expect(
      (
        await ledger.request('POST', '/auth/register', {
          body: { email, password, name: 'Page Person', organizationName: 'Page MSP' },
        })
      ).status,
    ).toBe(201);
    const { html, url, token } = await open(ledger.lastMailTo(email), '/verify-email');
    const browser = openInFakeBrowser(html, url);
    // The token is out of the address bar (and the history) before anything else happens.
    expect(browser.addressBar.href).toBe(new URL('/verify-email', ledger.url).href);
    expect(browser.visibleForms()).toHaveLength(1);
    const status = await browser.submit({});
    expect(browser.requests).toEqual([
      { url: new URL('/api/v1/auth/verify-email', ledger.url).href, body: JSON.stringify({ token }) },
    ]);
    expect(status).toMatchObject({ className: 'ok', textContent: expect.stringMatching(/confirmed/) });
    expect((await ledger.request('POST', '/auth/login', { body: { email, password } })).status).toBe(200);
    // Opened again (a second click, a reload): the address is confirmed, and the page says so.
    expect((await openInFakeBrowser(html, url).submit({})).className).toBe('ok');
    expect(ledger.logs()).not.toContain(token);
  });

  it('accepts an invitation with a name and a password, and says when the passwords differ', async () => {
    const email = `invitee-${randomBytes(4).toString('hex')}@example.com`;
    expect(
      (await ledger.request('POST', '/users/invite', { token: admin.accessToken, body: { email, role: 'auditor' } }))
        .status,
    ).toBe(201);
    const { html, url, token } = await open(ledger.lastMailTo(email), '/accept-invite');
    const browser = openInFakeBrowser(html, url);
    const mismatch = await browser.submit({ name: 'Ivy Invitee', password, confirm: `${password}!` });
    expect(mismatch).toMatchObject({ className: 'error', textContent: expect.stringMatching(/not the same/) });
    expect(browser.requests).toHaveLength(0);
    const status = await browser.submit({ name: 'Ivy Invitee', password, confirm: password });
    expect(status).toMatchObject({ className: 'ok', textContent: expect.stringMatching(/accepted/) });
    expect(JSON.parse(browser.requests[0]!.body)).toEqual({ token, name: 'Ivy Invitee', password });
    expect((await ledger.request('POST', '/auth/login', { body: { email, password } })).status).toBe(200);
    expect(ledger.logs()).not.toContain(token);
  });

  it('resets a password from the reset link; without a token it offers to mail one', async () => {
    expect(
      (await ledger.request('POST', '/auth/reset-password/request', { body: { email: admin.email } })).status,
    ).toBe(202);
    const { html, url } = await open(ledger.lastMailTo(admin.email), '/reset-password');
    const fresh = 'an entirely new password';
    const status = await openInFakeBrowser(html, url).submit({ password: fresh, confirm: fresh });
    expect(status).toMatchObject({ className: 'ok', textContent: expect.stringMatching(/changed/) });
    expect(
      (await ledger.request('POST', '/auth/login', { body: { email: admin.email, password: fresh } })).status,
    ).toBe(200);
    // The link of the "you already have an account" mail has no token: the page asks for the address instead.
    const bare = new URL('/reset-password', ledger.url);
    const without = openInFakeBrowser(await (await fetch(bare)).text(), bare);
    expect(without.visibleForms().map((f) => f.dataset.api)).toEqual(['api/v1/auth/reset-password/request']);
    expect((await without.submit({ email: admin.email })).className).toBe('ok');
  });

  it('says clearly when a link is broken, and the pages are in the document', async () => {
    const url = new URL('/verify-email?token=not-a-token', ledger.url);
    const browser = openInFakeBrowser(await (await fetch(url)).text(), url);
    expect(await browser.submit({})).toMatchObject({
      className: 'error',
      textContent: expect.stringMatching(/not valid/),
    });
    const noToken = new URL('/accept-invite', ledger.url);
    const none = openInFakeBrowser(await (await fetch(noToken)).text(), noToken);
    expect(none.status).toMatchObject({ className: 'error', textContent: expect.stringMatching(/no token/) });
    const document = (await (await fetch(`${ledger.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const path of ['/verify-email', '/accept-invite', '/reset-password'])
      expect(document.paths[path]).toHaveProperty('get');
  });
});
