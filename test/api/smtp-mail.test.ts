import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { startSmtpReceiver } from '../support/receivers.js';

const skip = needs('postgres').skip || needs('redis').skip;

// A real receiving SMTP peer (the smtp-server package), so the production mail path is exercised end to end.
describe.skipIf(skip)(`mail over SMTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let received: Awaited<ReturnType<typeof startSmtpReceiver>>['received'];
  let ledger: TestLedger;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    received = smtp.received;
    ledger = await startTestLedger({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'Ledger <ledger@example.com>' } });
  });
  afterAll(async () => {
    await ledger?.close();
    await smtp?.close();
  });

  it('sends the verification mail to the SMTP server, with a link that verifies the account', async () => {
    const email = `smtp-${Date.now()}@example.com`;
    const password = 'a long enough password';
    const registered = await ledger.request('POST', '/auth/register', {
      body: { email, password, name: 'Sam', organizationName: 'SMTP MSP' },
    });
    expect(registered.status).toBe(201);
    const mail = received.find((m) => m.to.includes(email));
    expect(mail).toBeDefined();
    expect(mail!.from).toBe('ledger@example.com');
    const raw = mail!.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    expect(raw).toContain('Subject: Confirm your email for Compliance Ledger');
    const token = /token=([A-Za-z0-9._-]+)/.exec(raw)![1];
    expect((await ledger.request('POST', '/auth/verify-email', { body: { token } })).status).toBe(204);
    expect((await ledger.request('POST', '/auth/login', { body: { email, password } })).status).toBe(200);
  });
});
