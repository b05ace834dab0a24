import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import type { SignedUp } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(
  `limits that parallel requests cannot outrun${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let victim: SignedUp;
    let bystander: SignedUp;

    beforeAll(async () => {
      ledger = await startTestLedger();
      victim = await ledger.signUp('victim');
      bystander = await ledger.signUp('bystander');
    });
    afterAll(() => ledger?.close());

    it('30 parallel logins to one account, the last with the right password: at most 5 are even tried', async () => {
      const attempts = Array.from({ length: 30 }, (_, i) =>
        ledger.request('POST', '/auth/login', {
          body: { email: victim.email, password: i === 29 ? victim.password : `wrong guess number ${i}` },
        }),
      );
      const statuses = (await Promise.all(attempts)).map((answer) => answer.status);
      const tried = statuses.filter((status) => status !== 429);
      expect(tried.length).toBeLessThanOrEqual(5);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(25);
      // The account is locked for the window now, even with the right password.
      const after = await ledger.request('POST', '/auth/login', {
        body: { email: victim.email, password: victim.password },
      });
      expect(after.status).toBe(429);
      expect(Number(after.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another account from the same address is not locked out by it.
      const other = await ledger.request('POST', '/auth/login', {
        body: { email: bystander.email, password: bystander.password },
      });
      expect(other.status).toBe(200);
    });

    it('30 parallel password-reset requests for one address send at most 3 mails', async () => {
      const mailsTo = (email: string) =>
        readdirSync(join(ledger.dataDir, 'mail')).filter((file) =>
          readFileSync(join(ledger.dataDir, 'mail', file), 'utf8').includes(`To: ${email}`),
        ).length;
      const before = mailsTo(bystander.email);
      const answers = await Promise.all(
        Array.from({ length: 30 }, () =>
          ledger.request('POST', '/auth/reset-password/request', { body: { email: bystander.email } }),
        ),
      );
      const accepted = answers.filter((answer) => answer.status === 202).length;
      expect(accepted).toBeLessThanOrEqual(3);
      expect(answers.filter((answer) => answer.status === 429).length).toBe(30 - accepted);
      expect(mailsTo(bystander.email) - before).toBeLessThanOrEqual(3);
    });
  },
);
