import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SameTime } from '../../command-api/auth/same-time.js';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import type { SignedUp } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

/** Nothing an MSP can do tells it whether an address has an account with another MSP. */
describe.skipIf(skip)(`who is a customer does not show${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let a: SignedUp;
  let b: SignedUp;

  beforeAll(async () => {
    ledger = await startTestLedger();
    a = await ledger.signUp('a');
    b = await ledger.signUp('b');
  });
  afterAll(() => ledger?.close());

  const invite = (token: string, email: string) =>
    ledger.request<{ data: { userId: string }; meta: { position: string } }>('POST', '/users/invite', {
      token,
      body: { email, role: 'auditor' },
    });
  const tokenOf = (mail: string) => /token=([A-Za-z0-9._-]+)/.exec(mail)![1]!;

  it("invites another MSP's customer exactly as a stranger, and the address's owner learns it when accepting", async () => {
    const stranger = `stranger-${randomBytes(4).toString('hex')}@example.com`;
    const customer = await invite(b.accessToken, a.email);
    const fresh = await invite(b.accessToken, stranger);
    for (const answer of [customer, fresh]) {
      expect(answer.status).toBe(201);
      expect(answer.body.data).toEqual({ userId: expect.any(String) });
    }
    // Read once the users read model has both invitations.
    const listed = await ledger.request<{ data: Array<{ userId: string; status: string }> }>('GET', '/users', {
      token: b.accessToken,
      headers: { 'X-Min-Position': fresh.body.meta.position },
    });
    for (const userId of [customer.body.data.userId, fresh.body.data.userId])
      expect(listed.body.data.find((user) => user.userId === userId)?.status).toBe('invited');

    // The owner of the address, who got the mail, is told when accepting; the stranger accepts as usual.
    const refused = await ledger.request('POST', '/users/accept-invite', {
      body: { token: tokenOf(ledger.lastMailTo(a.email)), name: 'A', password: 'a perfectly fine password' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/address-has-an-account$/) });
    const accepted = await ledger.request('POST', '/users/accept-invite', {
      body: { token: tokenOf(ledger.lastMailTo(stranger)), name: 'S', password: 'a perfectly fine password' },
    });
    expect(accepted.status).toBe(200);
    // A's own account is untouched.
    expect(
      (await ledger.request('POST', '/auth/login', { body: { email: a.email, password: a.password } })).status,
    ).toBe(200);
  });

  it('says so for an address that is already a user of the same MSP: that it can see anyway', async () => {
    const again = await invite(a.accessToken, a.email);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ errors: [{ field: 'email' }] });
  });

  it('an invitation accepted by someone else first leaves the address to them', async () => {
    const email = `twice-${randomBytes(4).toString('hex')}@example.com`;
    await invite(a.accessToken, email);
    const first = tokenOf(ledger.lastMailTo(email));
    await invite(b.accessToken, email);
    const second = tokenOf(ledger.lastMailTo(email));
    const body = (token: string) => ({ token, name: 'T', password: 'a perfectly fine password' });
    expect((await ledger.request('POST', '/users/accept-invite', { body: body(first) })).status).toBe(200);
    expect((await ledger.request('POST', '/users/accept-invite', { body: body(second) })).status).toBe(409);
  });
});

describe('registering an address that has an account takes as long as a new one', () => {
  it('waits out the usual duration of a real registration, less at most a tenth', async () => {
    const sameTime = new SameTime(0);
    const realDuration = 120;
    for (let i = 0; i < 60; i++) sameTime.observe(performance.now() - realDuration);
    const started = performance.now();
    await sameTime.pad(started);
    expect(performance.now() - started).toBeGreaterThanOrEqual(realDuration * 0.9 - 2);
  });
});
