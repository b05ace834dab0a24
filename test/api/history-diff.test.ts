/**
 * GET /history/diff lists every kind of change of the period: approvals and revocations, AI usage policy changes,
 * roles given and changed, evidence retired (apart from evidence that expired), and every event by type.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs } from '../support/services.js';
import { createClient, inviteMember, uploadEvidence } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Written {
  data: Record<string, string>;
  meta: { position: string };
}
interface Diff {
  evidence: {
    added: Array<{ evidenceId: string }>;
    expired: Array<{ evidenceId: string }>;
    retired: Array<{ evidenceId: string }>;
  };
  approvals: Array<Record<string, unknown>>;
  aiPolicies: Array<Record<string, unknown>>;
  roles: Array<Record<string, unknown>>;
  changes: { total: number; byType: Record<string, number>; items: Array<{ type: string; clientId: string | null }> };
}

describe.skipIf(skip)(`what changed between two moments${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  let clientId = '';
  let otherClientId = '';
  let aiServiceId = '';
  let userId = '';
  let retiredId = '';
  let policyId = '';
  let approverId = '';
  let expiringId = '';
  let start = '';
  let end = '';

  const send = async (method: string, path: string, body?: unknown) => {
    const answer = await ledger.request<Written>(method, path, { token: admin.accessToken, body });
    expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
    return answer.body;
  };
  const diff = (query: string) =>
    ledger.request<{ data: Diff }>('GET', `/history/diff?${query}`, { token: admin.accessToken });

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
    clientId = await createClient(ledger, admin.accessToken, 'Bayside Clinic', ['hipaa']);
    otherClientId = await createClient(ledger, admin.accessToken, 'Other Co');
    aiServiceId = (
      await send('POST', '/ai-services', {
        name: 'Scribe AI',
        vendor: 'V',
        models: ['m'],
        baaSigned: true,
        dpaSigned: true,
        dataRetentionDays: 0,
      })
    ).data.aiServiceId!;
    // A second admin (before the period) approves the policy the first one wrote (in the period).
    const approver = await inviteMember(ledger, admin.accessToken, 'msp_admin', undefined, 'Second Admin');
    start = (await send('PUT', `/clients/${clientId}`, { name: 'Bayside Clinic Group' })).meta.position;
    policyId = (
      await send('POST', '/policies/generate', {
        clientId,
        frameworkId: 'hipaa',
        companyContext: {
          name: 'Bayside Clinic Group',
          industry: 'healthcare',
          size: '11-50',
          dataTypes: ['phi'],
          aiTools: [],
          jurisdictions: ['US'],
        },
      })
    ).data.policyId!;
    await send('POST', `/policies/${policyId}/submit`, {});
    const approved = await ledger.request('POST', `/policies/${policyId}/approve`, {
      token: approver.accessToken,
      body: { comment: 'Matches the risk analysis' },
    });
    expect(approved.status).toBe(200);
    approverId = approver.userId;

    // Evidence valid until 2030, retired in the period: retired, not expired.
    const kept = await uploadEvidence(ledger, admin.accessToken, clientId, 'access review');
    expect(kept.status).toBe(201);
    retiredId = (kept.body.data as { evidenceId: string }).evidenceId;
    // Evidence that expires in the period (the helper's expiry is far off: uploaded through the form here).
    const expiresAt = Date.now() + 2_000;
    const form = new FormData();
    for (const [name, value] of Object.entries({
      clientId,
      title: 'Short-lived',
      validFrom: '2026-01-01',
      expiresAt: new Date(expiresAt).toISOString(),
    }))
      form.append(name, value);
    form.append('file', new Blob(['short-lived'], { type: 'text/plain' }), 'short.txt');
    const shortLived = (await (
      await fetch(`${ledger.url}/api/v1/evidence/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.accessToken}` },
        body: form,
      })
    ).json()) as Written;
    expiringId = shortLived.data.evidenceId!;
    await send('DELETE', `/evidence/${retiredId}`);

    await send('POST', `/clients/${clientId}/ai-services/${aiServiceId}/approve`, { reason: 'BAA on file' });
    await send('POST', `/clients/${clientId}/ai-services/${aiServiceId}/revoke`, { reason: 'BAA lapsed' });
    const policy = await ledger.request('PUT', `/clients/${clientId}/ai-policy`, {
      token: admin.accessToken,
      body: {
        rules: [{ entity: 'US_SSN', minScore: 0.5, action: 'block' }],
        unapprovedService: 'block',
        customPatterns: [{ entity: 'MRN', pattern: 'MRN-[0-9]{6}', score: 0.9 }],
      },
    });
    expect(policy.status).toBe(200);
    userId = (
      await send('POST', '/users/invite', { email: 'officer@example.com', role: 'compliance_officer', clientId })
    ).data.userId!;

    // Wait until the short-lived evidence has expired, then make the last change: the period's end is after expiry.
    while (Date.now() <= expiresAt + 100) await new Promise((resolve) => setTimeout(resolve, 50));
    end = (await send('PUT', `/users/${userId}/role`, { role: 'client_admin', clientId })).meta.position;
  }, 60_000);
  afterAll(() => ledger?.close());

  it('lists approvals and revocations, usage policy changes and roles given or changed', async () => {
    const answer = await diff(`from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}`);
    expect(answer.status).toBe(200);
    const { approvals, aiPolicies, roles, changes } = answer.body.data;
    expect(approvals).toEqual([
      expect.objectContaining({
        kind: 'policy',
        clientId,
        subjectId: policyId,
        decision: 'approved',
        version: 1,
        reason: 'Matches the risk analysis',
        actorId: approverId,
      }),
      expect.objectContaining({
        kind: 'ai-service',
        clientId,
        subjectId: aiServiceId,
        name: 'Scribe AI',
        decision: 'approved',
        reason: 'BAA on file',
        actorId: admin.userId,
      }),
      expect.objectContaining({ kind: 'ai-service', decision: 'revoked', reason: 'BAA lapsed' }),
    ]);
    expect(aiPolicies).toEqual([
      expect.objectContaining({ clientId, rules: 1, customPatterns: 1, unapprovedService: 'block' }),
    ]);
    expect(roles).toEqual([
      expect.objectContaining({ userId, fromRole: null, toRole: 'compliance_officer', toClientId: clientId }),
      expect.objectContaining({
        userId,
        fromRole: 'compliance_officer',
        toRole: 'client_admin',
        fromClientId: clientId,
        toClientId: clientId,
      }),
    ]);
    expect(changes.byType).toMatchObject({
      AiServiceApproved: 1,
      AiServiceRevoked: 1,
      AiPolicySet: 1,
      UserInvited: 1,
      UserRoleChanged: 1,
      EvidenceUploaded: 2,
      EvidenceRetired: 1,
    });
    expect(changes.byType.ClientUpdated).toBeUndefined(); // the change at `from` itself is not in the period
    expect(changes.total).toBe(changes.items.length);
  });

  it('keeps retired evidence apart from expired evidence', async () => {
    const { evidence } = (await diff(`from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}`)).body.data;
    expect(evidence.added.map((e) => e.evidenceId).sort()).toEqual([retiredId, expiringId].sort());
    expect(evidence.retired.map((e) => e.evidenceId)).toEqual([retiredId]);
    expect(evidence.expired.map((e) => e.evidenceId)).toEqual([expiringId]);
  });

  it("leaves out another client's changes when asked for one client", async () => {
    const { approvals, aiPolicies, roles, changes, evidence } = (
      await diff(`from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}&clientId=${otherClientId}`)
    ).body.data;
    expect({ approvals, aiPolicies, roles, total: changes.total, retired: evidence.retired }).toEqual({
      approvals: [],
      aiPolicies: [],
      roles: [],
      total: 0,
      retired: [],
    });
  });

  it("answers 404 for a client that is not the MSP's own, as it does to a client-scoped user", async () => {
    const other = await ledger.signUp('other-msp');
    const theirs = await createClient(ledger, other.accessToken, 'Elsewhere Dental', ['hipaa']);
    for (const asked of [theirs, randomUUID()]) {
      const answer = await diff(`from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}&clientId=${asked}`);
      expect(answer.status).toBe(404);
      expect(JSON.stringify(answer.body)).not.toContain('Elsewhere');
    }
  });
});
