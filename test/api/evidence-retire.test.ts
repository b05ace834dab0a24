import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdfPages } from '../support/pdf-text.js';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { createClient } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Answer<T> {
  data: T;
  meta: { position: string };
}

describe.skipIf(skip)(
  `retired evidence, apart from expired, with its reason${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;
    let clinic: string;
    let last = '';

    beforeAll(async () => {
      ledger = await startTestLedger();
      admin = await ledger.signUp();
      clinic = await createClient(ledger, admin.accessToken, 'Retiring clinic', ['hipaa']);
    });
    afterAll(() => ledger?.close());

    async function upload(content: string, title: string): Promise<string> {
      const form = new FormData();
      for (const [name, value] of Object.entries({
        clientId: clinic,
        title,
        validFrom: '2026-01-01',
        expiresAt: '2031-01-01T00:00:00Z',
      }))
        form.append(name, value);
      form.append('file', new Blob([content], { type: 'text/plain' }), 'evidence.txt');
      const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.accessToken}` },
        body: form,
      });
      expect(response.status).toBe(201);
      const body = (await response.json()) as Answer<{ evidenceId: string }>;
      last = body.meta.position;
      return body.data.evidenceId;
    }
    const send = async <T>(method: string, path: string, body?: unknown) => {
      const answer = await ledger.request<Answer<T>>(method, path, { token: admin.accessToken, body });
      if (answer.body?.meta?.position) last = answer.body.meta.position;
      return answer;
    };
    const get = <T>(path: string) =>
      ledger.request<T>('GET', path, { token: admin.accessToken, headers: { 'X-Min-Position': last } });

    it('shows retired evidence as retired, not expired: its read, the list, the report (JSON and PDF), the MSP summary', async () => {
      const evidenceId = await upload('the 2025 risk analysis', 'Risk analysis 2025');
      expect((await send('POST', `/evidence/${evidenceId}/map`, { requirementIds: ['hipaa-001'] })).status).toBe(200);
      const { assessmentId } = (
        await send<{ assessmentId: string }>('POST', '/assessments', {
          clientId: clinic,
          frameworkId: 'hipaa',
          title: 'Retired evidence',
        })
      ).body.data;
      expect(
        (await send('PUT', `/assessments/${assessmentId}/requirements/hipaa-001`, { result: 'compliant' })).status,
      ).toBe(200);
      expect((await send('POST', `/assessments/${assessmentId}/submit`)).status).toBe(200);
      expect((await send('DELETE', `/evidence/${evidenceId}`)).status).toBe(200);

      const one = await get<Answer<{ status: string; freshness: string }>>(`/evidence/${evidenceId}`);
      expect(one.body.data).toMatchObject({ status: 'retired', freshness: 'retired' });
      const titles = async (freshness: string) =>
        (
          await get<Answer<Array<{ title: string }>>>(`/evidence?clientId=${clinic}&freshness=${freshness}`)
        ).body.data.map((e) => e.title);
      expect(await titles('retired')).toEqual(['Risk analysis 2025']);
      expect(await titles('expired')).toEqual([]);

      const report = await get<
        Answer<{
          assessment: { flagged: string[] };
          requirements: Array<{ requirementId: string; flagged: boolean; evidence: Array<{ freshness: string }> }>;
        }>
      >(`/reports/compliance?clientId=${clinic}&frameworkId=hipaa`);
      expect(report.status).toBe(200);
      const requirement = report.body.data.requirements.find((r) => r.requirementId === 'hipaa-001')!;
      expect(requirement.evidence).toEqual([expect.objectContaining({ freshness: 'retired' })]);
      // Withdrawn evidence backs no "compliant": flagged, and said to be retired, not expired.
      expect(requirement.flagged).toBe(true);
      const pdf = await fetch(
        `${ledger.url}/api/v1/reports/compliance?clientId=${clinic}&frameworkId=hipaa&format=pdf`,
        {
          headers: { authorization: `Bearer ${admin.accessToken}`, 'X-Min-Position': last },
        },
      );
      expect(pdf.status).toBe(200);
      const text = (await pdfPages(new Uint8Array(await pdf.arrayBuffer()))).join('\n').replace(/\s+/g, ' ');
      expect(text).toContain('Risk analysis 2025: retired');
      expect(text).toContain('(evidence retired)');
      expect(text).not.toContain('Risk analysis 2025: expired');

      const summary = await get<{ data: Array<{ clientId: string; evidence: Record<string, number> }> }>(
        '/msp/summary',
      );
      expect(summary.body.data.find((c) => c.clientId === clinic)!.evidence).toEqual({
        expiringSoon: 0,
        expired: 0,
        retired: 1,
      });
    });

    it('records the reason given for retiring, shows it on the evidence and in the audit log, and refuses unknown fields', async () => {
      const evidenceId = await upload('the old sanction policy', 'Sanction policy 2024');
      const refused = await send('DELETE', `/evidence/${evidenceId}`, { reason: 'superseded', by: 'someone' });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(JSON.stringify(refused.body)).toContain('by');
      expect((await get<Answer<{ status: string }>>(`/evidence/${evidenceId}`)).body.data.status).toBe('active');

      const reason = 'superseded by the 2026 sanction policy';
      const retired = await send<{ status: string }>('DELETE', `/evidence/${evidenceId}`, { reason });
      expect(retired.status).toBe(200);
      expect(retired.body.data).toMatchObject({ status: 'retired', reason });
      const event = (await ledger.storedEvents()).find(
        (e) => e.type === 'EvidenceRetired' && JSON.stringify(e.data).includes(reason),
      );
      expect(event?.data).toEqual({ retiredBy: admin.userId, reason });

      const one = await get<Answer<{ retirement: unknown }>>(`/evidence/${evidenceId}`);
      expect(one.body.data.retirement).toEqual({ retiredBy: admin.userId, retiredAt: expect.any(String), reason });
      const audit = await get<{ data: Array<{ type: string; reason: string | null; streamId: string }> }>(
        '/audit?type=EvidenceRetired',
      );
      expect(audit.body.data.find((e) => e.streamId.endsWith(evidenceId))?.reason).toBe(reason);

      // Without a body, as before: retired, no reason.
      const other = await upload('the old training log', 'Training log 2024');
      const plain = await send<{ status: string }>('DELETE', `/evidence/${other}`);
      expect(plain.status).toBe(200);
      expect((await get<Answer<{ retirement: unknown }>>(`/evidence/${other}`)).body.data.retirement).toEqual({
        retiredBy: admin.userId,
        retiredAt: expect.any(String),
        reason: null,
      });
      const active = await upload('a current policy', 'Current policy');
      expect((await get<Answer<{ retirement: unknown }>>(`/evidence/${active}`)).body.data.retirement).toBeNull();
    });
  },
);
