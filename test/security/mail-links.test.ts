import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import type { SignedUp } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

/** A POST with the Host and forwarding headers an attacker chooses (fetch does not let a caller set Host). */
function postWithHost(ledger: TestLedger, path: string, body: unknown, token?: string): Promise<number> {
  const url = new URL(`${ledger.url}/api/v1${path}`);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          host: 'attacker.example',
          'x-forwarded-host': 'forwarded.attacker.example',
          'x-forwarded-proto': 'https',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const linksIn = (mail: string) => [...mail.matchAll(/https?:\/\/[^\s"<>]+/g)].map((match) => match[0]);

describe.skipIf(skip)(
  `links in mails come from configuration only${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    describe('with PUBLIC_URL unset: the address the ledger listens on', () => {
      let ledger: TestLedger;
      let admin: SignedUp;
      beforeAll(async () => {
        ledger = await startTestLedger();
        admin = await ledger.signUp();
      });
      afterAll(() => ledger?.close());

      const expectOwnLinks = (mail: string, path: string) => {
        const links = linksIn(mail).filter((link) => link.includes('token='));
        expect(links.length).toBeGreaterThan(0);
        for (const link of links) expect(link.startsWith(`${ledger.url}${path}?token=`), link).toBe(true);
        expect(mail).not.toContain('attacker.example');
      };

      it('password reset', async () => {
        expect(await postWithHost(ledger, '/auth/reset-password/request', { email: admin.email })).toBe(202);
        expectOwnLinks(ledger.lastMailTo(admin.email), '/reset-password');
      });

      it('email verification', async () => {
        const email = `host-${randomBytes(4).toString('hex')}@example.com`;
        const status = await postWithHost(ledger, '/auth/register', {
          email,
          password: 'correct horse battery staple',
          name: 'Eve',
          organizationName: 'Eve MSP',
        });
        expect(status).toBe(201);
        expectOwnLinks(ledger.lastMailTo(email), '/verify-email');
      });

      it('invitation', async () => {
        const email = `invitee-${randomBytes(4).toString('hex')}@example.com`;
        expect(await postWithHost(ledger, '/users/invite', { email, role: 'auditor' }, admin.accessToken)).toBe(201);
        expectOwnLinks(ledger.lastMailTo(email), '/accept-invite');
      });
    });

    describe('with PUBLIC_URL set', () => {
      let ledger: TestLedger;
      beforeAll(async () => {
        ledger = await startTestLedger({ env: { PUBLIC_URL: 'https://ledger.example.com/' } });
      });
      afterAll(() => ledger?.close());

      it('points every link there, whatever the request said', async () => {
        const email = `public-${randomBytes(4).toString('hex')}@example.com`;
        await postWithHost(ledger, '/auth/register', {
          email,
          password: 'correct horse battery staple',
          name: 'Eve',
          organizationName: 'Eve MSP',
        });
        const links = linksIn(ledger.lastMailTo(email)).filter((link) => link.includes('token='));
        expect(links.length).toBeGreaterThan(0);
        for (const link of links) expect(link).toMatch(/^https:\/\/ledger\.example\.com\/verify-email\?token=/);
      });
    });
  },
);
