import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

// A real receiving SMTP peer (the smtp-server package), so the production mail path is exercised end to end.
describe.skipIf(skip)(`mail over SMTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  const received: Array<{ from: string; to: string[]; raw: string }> = [];
  let smtp: SMTPServer;
  let ledger: TestLedger;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        stream.on('end', () => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const port = (smtp.server.address() as AddressInfo).port;
    ledger = await startTestLedger({ env: { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Ledger <ledger@example.com>' } });
  });
  afterAll(async () => {
    await ledger?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('sends the verification mail to the SMTP server, with a link that verifies the account', async () => {
    const email = `smtp-${Date.now()}@example.com`;
    const password = 'a long enough password';
    const registered = await ledger.request('POST', '/auth/register', { body: { email, password, name: 'Sam', organizationName: 'SMTP MSP' } });
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
