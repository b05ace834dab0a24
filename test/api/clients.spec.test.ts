import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { apiSpecification } from '../support/api-spec.js';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import type { SignedUp } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

/** Client commands as API specs: given a client's events, when a request, then the answer and the new events. */
describe.skipIf(skip)(`client commands, given events${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: SignedUp;
  const registered = (clientId: string) => ({
    type: 'ClientRegistered',
    data: { clientId, name: 'Acme Clinic', industry: 'healthcare', size: '11-50', frameworks: ['hipaa'] },
  });

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
  });
  afterAll(() => ledger?.close());

  it('renames a registered client', async () => {
    const clientId = randomUUID();
    await apiSpecification(ledger, admin)
      .given({ [`client/${clientId}`]: [registered(clientId)] })
      .when('PUT', `/clients/${clientId}`, { name: 'Acme Health' })
      .then({ status: 200, body: { data: { clientId }, meta: { position: expectPosition } } }, [
        { type: 'ClientUpdated', stream: `client/${clientId}`, data: { name: 'Acme Health' } },
      ]);
  });

  it('archives a client once: the second time changes nothing', async () => {
    const clientId = randomUUID();
    const spec = apiSpecification(ledger, admin);
    await spec
      .given({ [`client/${clientId}`]: [registered(clientId), { type: 'ClientArchived', data: { reason: null } }] })
      .when('DELETE', `/clients/${clientId}`)
      .then({ status: 200, body: { data: { clientId, status: 'archived' }, meta: { position: null } } }, []);
  });

  it('refuses to change an archived client, and records nothing', async () => {
    const clientId = randomUUID();
    await apiSpecification(ledger, admin)
      .given({ [`client/${clientId}`]: [registered(clientId), { type: 'ClientArchived', data: { reason: null } }] })
      .when('PUT', `/clients/${clientId}`, { industry: 'dental' })
      .then({ status: 410, body: expectProblem('gone') }, []);
  });

  it("is a 404 for another tenant's client", async () => {
    await apiSpecification(ledger, admin)
      .given()
      .when('PUT', `/clients/${randomUUID()}`, { name: 'Nobody' })
      .then({ status: 404, body: expectProblem('not-found') }, []);
  });
});

const expectPosition = expectString(/^\d{20}-\d{20}$/);
function expectString(pattern: RegExp) {
  return {
    asymmetricMatch: (value: unknown) => typeof value === 'string' && pattern.test(value),
    toString: () => String(pattern),
  };
}
function expectProblem(slug: string) {
  return {
    asymmetricMatch: (value: unknown) =>
      typeof value === 'object' &&
      value !== null &&
      (value as { type?: string }).type?.endsWith(`/problems/${slug}`) === true,
    toString: () => `problem ${slug}`,
  };
}
