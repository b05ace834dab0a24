/**
 * asOf answers against a scenario whose history is known: each read as of a moment must show what was true then,
 * computed by the same projections over the events up to that moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs } from '../support/services.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Written {
  data: Record<string, string>;
  meta: { position: string };
}
interface Score {
  frameworkId: string;
  score: number | null;
  submittedScore: number | null;
  flagged: string[];
  basis: string;
}
interface Summary {
  data: Array<{
    clientId: string;
    name: string;
    scores: Score[];
    policies: Record<string, number>;
    evidence: { expiringSoon: number; expired: number };
  }>;
  meta: { asOf?: string; position?: string | null; eventsReplayed?: number };
}

describe.skipIf(skip)(`point-in-time reads (asOf)${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  const moments: Record<string, string> = {};
  let clientId = '';
  let evidenceId = '';
  let assessmentId = '';
  let policyId = '';
  let expiresAt = 0;

  const at = (value: string) => encodeURIComponent(value);
  const get = <T>(path: string) => ledger.request<T>('GET', path, { token: admin.accessToken });
  const send = (method: string, path: string, body: unknown) =>
    ledger.request<Written>(method, path, { token: admin.accessToken, body });

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
    const client = await send('POST', '/clients', {
      name: 'Acme Health',
      industry: 'health',
      size: '11-50',
      frameworks: ['soc2'],
    });
    clientId = client.body.data.clientId!;
    moments.registered = client.body.meta.position;

    // Evidence that expires a few seconds from now backs a compliant requirement.
    expiresAt = Date.now() + 6_000;
    const form = new FormData();
    for (const [name, value] of Object.entries({
      clientId,
      title: 'Access review',
      validFrom: '2024-01-01',
      expiresAt: new Date(expiresAt).toISOString(),
    }))
      form.append(name, value);
    form.append('file', new Blob(['access review'], { type: 'text/plain' }), 'review.txt');
    const uploaded = (await (
      await fetch(`${ledger.url}/api/v1/evidence/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.accessToken}` },
        body: form,
      })
    ).json()) as Written;
    evidenceId = uploaded.data.evidenceId!;

    const started = await send('POST', '/assessments', { clientId, frameworkId: 'soc2', title: 'SOC 2 2026' });
    assessmentId = started.body.data.assessmentId!;
    const answered = await send('PUT', `/assessments/${assessmentId}/requirements/CC6.1`, {
      result: 'compliant',
      evidenceIds: [evidenceId],
    });
    moments.answered = answered.body.meta.position;
    const submitted = await send('POST', `/assessments/${assessmentId}/submit`, {});
    expect(submitted.status).toBe(200);
    moments.submitted = submitted.body.meta.position;

    const context = {
      name: 'Acme Health',
      industry: 'health',
      size: '11-50',
      dataTypes: ['phi'],
      aiTools: [],
      jurisdictions: ['US'],
    };
    const generated = await send('POST', '/policies/generate', {
      clientId,
      frameworkId: 'soc2',
      companyContext: context,
    });
    policyId = generated.body.data.policyId!;
    moments.policyV1 = generated.body.meta.position;
    moments.policyV1Time = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const edited = await send('PUT', `/policies/${policyId}`, { content: '# Access control\n\nVersion two.' });
    moments.policyV2 = edited.body.meta.position;
    const renamed = await send('PUT', `/clients/${clientId}`, { name: 'Acme Health Group' });
    moments.renamed = renamed.body.meta.position;

    // Let the evidence expire: from now on, the score recomputed at "now" no longer counts it.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now() + 200)));
  }, 60_000);
  afterAll(() => ledger?.close());

  it('recomputes the summary score at the moment read, with the evidence freshness of that moment', async () => {
    const then = await get<Summary>(`/msp/summary?asOf=${at(moments.submitted!)}`);
    expect(then.status).toBe(200);
    expect(then.body.meta.position).toBe(moments.submitted);
    const acmeThen = then.body.data.find((c) => c.clientId === clientId)!;
    expect(acmeThen.name).toBe('Acme Health');
    expect(acmeThen.scores).toEqual([
      expect.objectContaining({
        frameworkId: 'soc2',
        score: 100,
        submittedScore: 100,
        flagged: [],
        basis: 'recomputed',
      }),
    ]);
    expect(acmeThen.evidence).toEqual({ expiringSoon: 1, expired: 0, retired: 0 });
    expect(acmeThen.policies.draft).toBe(0);

    await expect
      .poll(async () => (await get<Summary>('/msp/summary')).body.data.find((c) => c.clientId === clientId)?.name, {
        timeout: 10_000,
      })
      .toBe('Acme Health Group');
    const acmeNow = (await get<Summary>('/msp/summary')).body.data.find((c) => c.clientId === clientId)!;
    // Compliant, but its only evidence has expired: it counts as partially compliant now.
    expect(acmeNow.scores).toEqual([expect.objectContaining({ score: 50, submittedScore: 100, flagged: ['CC6.1'] })]);
    expect(acmeNow.evidence).toEqual({ expiringSoon: 0, expired: 1, retired: 0 });
    expect(acmeNow.policies.draft).toBe(1);
  });

  it('answers the summary as of a time as well as a position, and is empty before the tenant had anything', async () => {
    const byTime = await get<Summary>(`/msp/summary?asOf=${at(moments.policyV1Time!)}`);
    const acme = byTime.body.data.find((c) => c.clientId === clientId)!;
    expect(acme.name).toBe('Acme Health');
    expect(acme.policies.draft).toBe(1);
    const before = await get<Summary>(`/msp/summary?asOf=${at('2001-01-01T00:00:00Z')}`);
    expect(before.body).toMatchObject({ data: [], meta: { position: null, eventsReplayed: 0 } });
    const bad = await get<{ errors: Array<{ field: string }> }>('/msp/summary?asOf=tuesday');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    expect(bad.body.errors[0]!.field).toBe('asOf');
    const future = await get<{ errors: Array<{ field: string; message: string }> }>(
      `/msp/summary?asOf=${at(new Date(Date.now() + 86_400_000).toISOString())}`,
    );
    expect(future.status).toBe(400);
    expect(future.body.errors[0]).toEqual({ field: 'asOf', message: 'must not be later than now' });
  });

  it('answers single resources as they were: evidence freshness, an assessment before submission, a policy version', async () => {
    const evidenceThen = await get<{ data: { freshness: string }; meta: { asOf: string } }>(
      `/evidence/${evidenceId}?asOf=${at(moments.submitted!)}`,
    );
    expect(evidenceThen.body.data.freshness).toBe('expiring');
    expect(Date.parse(evidenceThen.body.meta.asOf)).toBeLessThan(expiresAt);
    expect((await get<{ data: { freshness: string } }>(`/evidence/${evidenceId}`)).body.data.freshness).toBe('expired');

    // The score is scored at the moment read (a running score before submission), with that moment's freshness.
    const beforeSubmit = await get<{
      data: { status: string; score: number | null; results: Array<{ requirementId: string; result: string }> };
    }>(`/assessments/${assessmentId}?asOf=${at(moments.answered!)}`);
    expect(beforeSubmit.body.data).toMatchObject({
      status: 'in_progress',
      score: 100,
      submittedScore: null,
      results: [{ requirementId: 'CC6.1', result: 'compliant' }],
    });
    const now = await get<{ data: { status: string; score: number } }>(`/assessments/${assessmentId}`);
    expect(now.body.data).toMatchObject({ status: 'submitted', score: 50, submittedScore: 100, flagged: ['CC6.1'] });

    const v1 = await get<{ data: { version: number; content: string } }>(
      `/policies/${policyId}?asOf=${at(moments.policyV1!)}`,
    );
    expect(v1.body.data.version).toBe(1);
    expect(v1.body.data.content).not.toContain('Version two.');
    const v2 = await get<{ data: { version: number; content: string } }>(
      `/policies/${policyId}?asOf=${at(moments.policyV2!)}`,
    );
    expect(v2.body.data).toMatchObject({ version: 2, content: '# Access control\n\nVersion two.' });
    const versions = await get<{ data: Array<{ version: number }> }>(
      `/policies/${policyId}/versions?asOf=${at(moments.policyV1!)}`,
    );
    expect(versions.body.data.map((v) => v.version)).toEqual([1]);
    expect((await get(`/policies/${policyId}?asOf=${at(moments.registered!)}`)).status).toBe(404);
  });

  it('lists assessments and users, with users as they were before a role change and after erasure', async () => {
    const list = await get<{
      data: Array<{ assessmentId: string; status: string; catalogVersion: string }>;
      meta: { total: number };
    }>(`/assessments?clientId=${clientId}&status=submitted`);
    expect(list.body.data).toEqual([
      expect.objectContaining({ assessmentId, status: 'submitted', catalogVersion: expect.any(String) as string }),
    ]);

    const invited = await send('POST', '/users/invite', { email: 'auditor@acme.example', role: 'auditor' });
    const userId = invited.body.data.userId!;
    const changed = await send('PUT', `/users/${userId}/role`, { role: 'msp_analyst' });
    expect(changed.status).toBe(200);
    const then = await get<{ data: { role: string; email: string; status: string } }>(
      `/users/${userId}?asOf=${at(invited.body.meta.position)}`,
    );
    expect(then.body.data).toMatchObject({ role: 'auditor', email: 'auditor@acme.example', status: 'invited' });
    await expect
      .poll(async () => (await get<{ data: { role: string } }>(`/users/${userId}`)).body.data?.role, {
        timeout: 10_000,
      })
      .toBe('msp_analyst');
    const users = await get<{ data: Array<{ userId: string; email: string | null; role: string }> }>(
      '/users?role=msp_admin',
    );
    expect(users.body.data).toEqual([expect.objectContaining({ userId: admin.userId, email: admin.email })]);

    const erased = await send('POST', `/users/${userId}/erase`, {});
    expect(erased.status).toBeLessThan(300);
    await expect
      .poll(async () => (await get<{ data: { status: string } }>(`/users/${userId}`)).body.data?.status, {
        timeout: 10_000,
      })
      .toBe('erased');
    const gone = await get<{ data: { email: string | null; name: string | null } }>(`/users/${userId}`);
    expect(gone.body.data).toMatchObject({ email: null, name: null });
    // Replayed from before the erasure, the sealed address can no longer be opened.
    const replayed = await get<{ data: { email: string } }>(`/users/${userId}?asOf=${at(invited.body.meta.position)}`);
    expect(replayed.body.data.email).toBe('[erased]');
  });

  it('summarises what changed between two moments', async () => {
    const service = await send('POST', '/ai-services', {
      name: 'Unvetted AI',
      vendor: 'V',
      models: ['m'],
      baaSigned: false,
      dpaSigned: false,
      dataRetentionDays: 30,
    });
    const analysed = await send('POST', '/analyze/prompt', {
      clientId,
      aiServiceId: service.body.data.aiServiceId,
      prompt: 'Summarise our meeting notes',
    });
    expect(analysed.body.data.decision).toBe('block');
    type Diff = {
      data: {
        from: { position: string };
        requirements: Array<{ requirementId: string; from: string | null; to: string }>;
        evidence: { added: Array<{ evidenceId: string }>; expired: Array<{ evidenceId: string }> };
        policies: Array<{ policyId: string; fromVersion: number | null; toVersion: number; toStatus: string }>;
        violations: { total: number; bySeverity: Record<string, number>; items: Array<{ kind: string }> };
      };
    };
    const whole = await get<Diff>(
      `/history/diff?from=${at(moments.registered!)}&to=${at(analysed.body.meta.position)}`,
    );
    expect(whole.status).toBe(200);
    expect(whole.body.data.from.position).toBe(moments.registered);
    expect(whole.body.data.requirements).toEqual([
      expect.objectContaining({ requirementId: 'CC6.1', from: null, to: 'compliant' }),
    ]);
    expect(whole.body.data.evidence.added.map((e) => e.evidenceId)).toEqual([evidenceId]);
    expect(whole.body.data.evidence.expired.map((e) => e.evidenceId)).toEqual([evidenceId]);
    expect(whole.body.data.policies).toEqual([
      expect.objectContaining({ policyId, fromVersion: null, toVersion: 2, toStatus: 'draft' }),
    ]);
    expect(whole.body.data.violations).toMatchObject({ total: 1, items: [{ kind: 'unapproved-ai-service' }] });

    const edit = await get<Diff>(`/history/diff?from=${at(moments.policyV1!)}&to=${at(moments.policyV2!)}`);
    expect(edit.body.data).toMatchObject({
      requirements: [],
      evidence: { added: [], expired: [] },
      violations: { total: 0 },
    });
    expect(edit.body.data.policies).toEqual([expect.objectContaining({ fromVersion: 1, toVersion: 2 })]);

    const backwards = await get<{ errors: Array<{ field: string }> }>(
      `/history/diff?from=${at(moments.policyV2!)}&to=${at(moments.policyV1!)}`,
    );
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors[0]!.field).toBe('to');
    expect(
      (await get<{ errors: Array<{ field: string }> }>(`/history/diff?from=${at(moments.policyV1!)}`)).status,
    ).toBe(400);
  });
});
