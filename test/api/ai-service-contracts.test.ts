import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { createClient } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(
  `AI services' contracts, per-service rules and reading a policy back over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;
    let clinic: string;
    const service = {
      name: 'Clinic Chat',
      vendor: 'Acme AI',
      models: ['m-1'],
      baaSigned: false,
      dpaSigned: false,
      dataRetentionDays: 30,
    };
    const tokenFor = (role: string, scopedClient: string | null) => ledger.tokenFor(admin.tenantId, role, scopedClient);

    async function register(profile: Record<string, unknown> = service): Promise<string> {
      const registered = await ledger.request<{ data: { aiServiceId: string } }>('POST', '/ai-services', {
        token: admin.accessToken,
        body: profile,
      });
      expect(registered.status).toBe(201);
      return registered.body.data.aiServiceId;
    }

    beforeAll(async () => {
      ledger = await startTestLedger();
      admin = await ledger.signUp();
      clinic = await createClient(ledger, admin.accessToken, 'Clinic', ['hipaa']);
    });
    afterAll(() => ledger?.close());

    it('records a BAA signed later (PUT /ai-services/{id}) as an event with the changed fields, and reads it back', async () => {
      const aiServiceId = await register();
      const updated = await ledger.request<{ data: { changed: string[] }; meta: { position: string } }>(
        'PUT',
        `/ai-services/${aiServiceId}`,
        { token: admin.accessToken, body: { baaSigned: true, vendor: 'Acme AI' } },
      );
      expect(updated.status).toBe(200);
      expect(updated.body.data).toEqual({ aiServiceId, changed: ['baaSigned'] });
      const events = (await ledger.storedEvents()).filter((e) => e.type === 'AiServiceUpdated');
      expect(events.at(-1)!.data).toMatchObject({ aiServiceId, changes: { baaSigned: true }, updatedBy: admin.userId });
      expect(Object.keys((events.at(-1)!.data as { changes: object }).changes)).toEqual(['baaSigned']);
      const read = await ledger.request('GET', `/ai-services/${aiServiceId}`, {
        token: admin.accessToken,
        headers: { 'X-Min-Position': updated.body.meta.position },
      });
      expect(read.body).toMatchObject({ data: { ...service, baaSigned: true } });
      // One strong ETag: the update's answer and the GET give the same one.
      expect(updated.headers.get('etag')).toMatch(/^"\d+"$/);
      expect(read.headers.get('etag')).toBe(updated.headers.get('etag'));

      // Prompt analysis sees the contract at once: PHI to a HIPAA client's service with a BAA is no longer refused by contract.
      await ledger.request('POST', `/clients/${clinic}/ai-services/${aiServiceId}/approve`, {
        token: admin.accessToken,
        body: { reason: 'BAA signed' },
      });
      const analysed = await ledger.request<{ data: { reasons: string[] } }>('POST', '/analyze/prompt', {
        token: admin.accessToken,
        body: { clientId: clinic, aiServiceId, prompt: 'Patient SSN 219-45-6781' },
      });
      expect(analysed.body.data.reasons.join()).not.toMatch(/no business associate agreement/);
      const usable = await ledger.request<{ data: Array<{ aiServiceId: string; baaSigned: boolean }> }>(
        'GET',
        `/analyze/ai-services?clientId=${clinic}`,
        { token: admin.accessToken },
      );
      expect(usable.body.data.find((s) => s.aiServiceId === aiServiceId)).toMatchObject({ baaSigned: true });

      // Nothing new records nothing; bad input names the field; no field at all is a 400.
      const again = await ledger.request('PUT', `/ai-services/${aiServiceId}`, {
        token: admin.accessToken,
        body: { baaSigned: true },
      });
      expect(again.body).toMatchObject({ data: { changed: [] } });
      const bad = await ledger.request('PUT', `/ai-services/${aiServiceId}`, {
        token: admin.accessToken,
        body: { dataRetentionDays: -1 },
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ errors: [{ field: 'dataRetentionDays' }] });
      expect(
        (await ledger.request('PUT', `/ai-services/${aiServiceId}`, { token: admin.accessToken, body: {} })).status,
      ).toBe(400);
    });

    it('keeps PUT /ai-services/{id} to the MSP of the tenant', async () => {
      const aiServiceId = await register();
      const body = { dpaSigned: true };
      expect(
        (await ledger.request('PUT', `/ai-services/${aiServiceId}`, { token: tokenFor('client_admin', clinic), body }))
          .status,
      ).toBe(403);
      expect(
        (await ledger.request('PUT', `/ai-services/${aiServiceId}`, { token: tokenFor('auditor', null), body })).status,
      ).toBe(403);
      const other = await ledger.signUp('other');
      expect(
        (await ledger.request('PUT', `/ai-services/${aiServiceId}`, { token: other.accessToken, body })).status,
      ).toBe(404);
      expect(
        (await ledger.request('PUT', `/ai-services/${randomUUID()}`, { token: admin.accessToken, body })).status,
      ).toBe(404);
      expect((await ledger.request('PUT', `/ai-services/${aiServiceId}`, { body })).status).toBe(401);
    });

    it('reads back a client AI usage policy with its custom patterns, to its own people only', async () => {
      const client = await createClient(ledger, admin.accessToken, 'Policy reader');
      const path = `/clients/${client}/ai-policy`;
      const unset = await ledger.request('GET', path, { token: admin.accessToken });
      expect(unset.status).toBe(200);
      expect(unset.body).toMatchObject({
        data: { clientId: client, set: false, rules: [], unapprovedService: 'block', customPatterns: [] },
      });
      const policy = {
        rules: [{ entity: 'US_SSN', minScore: 0.5, action: 'block' }],
        unapprovedService: 'warn',
        customPatterns: [{ entity: 'PATIENT_ID', pattern: 'PT-\\d{6}', score: 0.9 }],
        regions: ['GB'],
      };
      expect((await ledger.request('PUT', path, { token: admin.accessToken, body: policy })).status).toBe(200);
      const read = await ledger.request('GET', path, { token: admin.accessToken });
      expect(read.body).toEqual({ data: { clientId: client, set: true, ...policy }, meta: {} });
      expect((await ledger.request('GET', path, { token: tokenFor('compliance_officer', client) })).status).toBe(200);
      expect((await ledger.request('GET', path, { token: tokenFor('compliance_officer', clinic) })).status).toBe(404);
      const other = await ledger.signUp('reader');
      expect((await ledger.request('GET', path, { token: other.accessToken })).status).toBe(404);
      expect(
        (await ledger.request('GET', `/clients/${randomUUID()}/ai-policy`, { token: admin.accessToken })).status,
      ).toBe(404);
      expect((await ledger.request('GET', path)).status).toBe(401);
    });

    it('applies a rule that names AI services only to prompts for those services', async () => {
      const covered = await register({ ...service, name: 'Covered', baaSigned: true });
      const otherService = await register({ ...service, name: 'Other', baaSigned: true });
      const client = await createClient(ledger, admin.accessToken, 'Per-service clinic', ['hipaa']);
      for (const id of [covered, otherService])
        await ledger.request('POST', `/clients/${client}/ai-services/${id}/approve`, {
          token: admin.accessToken,
          body: { reason: 'BAA signed' },
        });
      const rules = [
        { entity: 'PHONE_NUMBER', minScore: 0.3, action: 'allow', aiServiceIds: [covered] },
        { entity: 'MEDICAL_RECORD_NUMBER', minScore: 0.3, action: 'allow', aiServiceIds: [covered] },
      ];
      const set = await ledger.request('PUT', `/clients/${client}/ai-policy`, {
        token: admin.accessToken,
        body: { rules, unapprovedService: 'block' },
      });
      expect(set.status).toBe(200);
      const prompt = 'Call the patient at (212) 555-0148 about MRN: 12345678';
      const analyse = (aiServiceId: string) =>
        ledger.request<{ data: { decision: string; findings: Array<{ entity: string; action: string }> } }>(
          'POST',
          '/analyze/prompt',
          { token: admin.accessToken, body: { clientId: client, aiServiceId, prompt } },
        );
      const toCovered = await analyse(covered);
      expect(toCovered.status).toBe(201);
      expect(toCovered.body.data.findings.length).toBeGreaterThan(0);
      expect(toCovered.body.data.decision).toBe('allow');
      const toOther = await analyse(otherService);
      expect(toOther.body.data.decision).toBe('block');
      expect(
        (await ledger.request('GET', `/clients/${client}/ai-policy`, { token: admin.accessToken })).body,
      ).toMatchObject({ data: { rules } });
      const unknown = await ledger.request('PUT', `/clients/${client}/ai-policy`, {
        token: admin.accessToken,
        body: { rules: [{ ...rules[0], aiServiceIds: [covered, randomUUID()] }], unapprovedService: 'block' },
      });
      expect(unknown.status).toBe(422);
      expect(unknown.body).toMatchObject({ errors: [{ field: 'rules.0.aiServiceIds.1' }] });
    });

    it('warns when a service without a BAA is approved for a HIPAA client, or without a DPA for a GDPR client', async () => {
      const bare = await register({ ...service, name: 'No contracts' });
      const both = await createClient(ledger, admin.accessToken, 'EU clinic', ['hipaa', 'gdpr']);
      const approved = await ledger.request<{ data: { warnings: string[] } }>(
        'POST',
        `/clients/${both}/ai-services/${bare}/approve`,
        { token: admin.accessToken, body: { reason: 'pilot' } },
      );
      expect(approved.status).toBe(200);
      expect(approved.body.data.warnings).toEqual([
        expect.stringMatching(/^HIPAA: no business associate agreement/),
        expect.stringMatching(/^GDPR: no data processing agreement/),
      ]);
      const recorded = (await ledger.storedEvents()).filter((e) => e.type === 'AiServiceApproved').at(-1)!;
      expect(recorded.data).toMatchObject({ aiServiceId: bare, warnings: approved.body.data.warnings });

      const covered = await register({ ...service, name: 'Both signed', baaSigned: true, dpaSigned: true });
      const fine = await ledger.request('POST', `/clients/${both}/ai-services/${covered}/approve`, {
        token: admin.accessToken,
        body: { reason: 'contracts signed' },
      });
      expect(fine.body).toMatchObject({ data: { status: 'approved', warnings: [] } });
      const plain = await createClient(ledger, admin.accessToken, 'No frameworks');
      const noFrameworks = await ledger.request('POST', `/clients/${plain}/ai-services/${bare}/approve`, {
        token: admin.accessToken,
        body: { reason: 'ok' },
      });
      expect(noFrameworks.body).toMatchObject({ data: { warnings: [] } });
    });
  },
);
