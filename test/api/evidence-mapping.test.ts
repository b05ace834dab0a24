import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { createClient } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Answer<T> {
  data: T;
  meta: { position: string };
}

describe.skipIf(skip)(
  `evidence mapped to requirements, validated and counted, over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;
    let clinic: string;

    beforeAll(async () => {
      ledger = await startTestLedger();
      admin = await ledger.signUp();
      clinic = await createClient(ledger, admin.accessToken, 'Clinic', ['hipaa']);
    });
    afterAll(() => ledger?.close());

    async function upload(content: string, validity: { validFrom: string; expiresAt: string }): Promise<string> {
      const form = new FormData();
      for (const [name, value] of Object.entries({ clientId: clinic, title: `Evidence ${content}`, ...validity }))
        form.append(name, value);
      form.append('file', new Blob([content], { type: 'text/plain' }), 'evidence.txt');
      const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.accessToken}` },
        body: form,
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as Answer<{ evidenceId: string }>).data.evidenceId;
    }
    const post = <T>(path: string, body?: unknown) =>
      ledger.request<T>('POST', path, { token: admin.accessToken, body });
    const get = <T>(path: string, position?: string) =>
      ledger.request<T>('GET', path, {
        token: admin.accessToken,
        headers: position ? { 'X-Min-Position': position } : {},
      });

    it("refuses a requirement id that is in none of the client's catalogs, naming it, and records nothing", async () => {
      const evidenceId = await upload('refused mapping', {
        validFrom: '2026-01-01',
        expiresAt: '2030-01-01T00:00:00Z',
      });
      const refused = await post(`/evidence/${evidenceId}/map`, { requirementIds: ['hipaa-001', 'hipaa-0xx'] });
      expect(refused.status).toBe(422);
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(refused.body).toMatchObject({ errors: [{ field: 'requirementIds.1' }] });
      expect(JSON.stringify(refused.body)).toContain('hipaa-0xx');
      // A requirement of a framework the client is not held to is just as unknown.
      expect((await post(`/evidence/${evidenceId}/map`, { requirementIds: ['CC6.1'] })).status).toBe(422);
      const mapped = (await ledger.storedEvents()).filter(
        (e) => e.type === 'EvidenceMapped' && JSON.stringify(e).includes(evidenceId),
      );
      expect(mapped).toEqual([]);
      expect((await post(`/evidence/${evidenceId}/unmap`, { requirementIds: ['hipaa-0xx'] })).status).toBe(422);
    });

    it("shows the mapping on the evidence and on the requirement's result, counts it in scores and reports, and undoes it", async () => {
      const fresh = await upload('fresh policy', { validFrom: '2026-01-01', expiresAt: '2030-01-01T00:00:00Z' });
      const stale = await upload('stale review', { validFrom: '2020-01-01', expiresAt: '2021-01-01T00:00:00Z' });
      const mapFresh = await post<Answer<{ requirementIds: string[] }>>(`/evidence/${fresh}/map`, {
        requirementIds: ['hipaa-001'],
      });
      expect(mapFresh.status).toBe(200);
      expect(mapFresh.body.data).toEqual({ evidenceId: fresh, requirementIds: ['hipaa-001'] });
      await post(`/evidence/${stale}/map`, { requirementIds: ['hipaa-002'] });

      const { assessmentId } = (
        await post<Answer<{ assessmentId: string }>>('/assessments', {
          clientId: clinic,
          frameworkId: 'hipaa',
          title: 'Counted',
        })
      ).body.data;
      for (const requirementId of ['hipaa-001', 'hipaa-002'])
        expect(
          (
            await ledger.request('PUT', `/assessments/${assessmentId}/requirements/${requirementId}`, {
              token: admin.accessToken,
              body: { result: 'compliant' },
            })
          ).status,
        ).toBe(200);
      const last = await post<Answer<unknown>>(`/evidence/${fresh}/map`, { requirementIds: ['hipaa-001'] });

      // Each evidence's requirements, and each requirement's evidence.
      const one = await get<Answer<{ requirementIds: string[] }>>(`/evidence/${fresh}`, last.body.meta.position);
      expect(one.body.data.requirementIds).toEqual(['hipaa-001']);
      const forRequirement = await get<Answer<Array<{ evidenceId: string }>>>(
        `/evidence?requirementId=hipaa-001&clientId=${clinic}`,
      );
      expect(forRequirement.body.data.map((e) => e.evidenceId)).toEqual([fresh]);
      const assessment = await get<Answer<{ results: Array<{ requirementId: string; evidenceIds: string[] }> }>>(
        `/assessments/${assessmentId}`,
        last.body.meta.position,
      );
      expect(assessment.body.data.results).toMatchObject([
        { requirementId: 'hipaa-001', evidenceIds: [fresh] },
        { requirementId: 'hipaa-002', evidenceIds: [stale] },
      ]);

      // Counted: a compliant requirement whose only (mapped) evidence has expired is flagged, at submission and in the report.
      const submitted = await ledger.request<Answer<{ flagged: string[]; score: number }>>(
        'POST',
        `/assessments/${assessmentId}/submit`,
        { token: admin.accessToken },
      );
      expect(submitted.status).toBe(200);
      expect(submitted.body.data.flagged).toEqual(['hipaa-002']);
      const report = await get<
        Answer<{
          assessment: { flagged: string[] };
          requirements: Array<{
            requirementId: string;
            flagged: boolean;
            evidence: Array<{ evidenceId: string; freshness: string }>;
          }>;
        }>
      >(`/reports/compliance?clientId=${clinic}&frameworkId=hipaa`, submitted.body.meta.position);
      expect(report.status).toBe(200);
      expect(report.body.data.assessment.flagged).toEqual(['hipaa-002']);
      expect(report.body.data.requirements).toMatchObject([
        { requirementId: 'hipaa-001', flagged: false, evidence: [{ evidenceId: fresh, freshness: 'valid' }] },
        { requirementId: 'hipaa-002', flagged: true, evidence: [{ evidenceId: stale, freshness: 'expired' }] },
      ]);

      const summary = await get<Answer<Array<{ clientId: string; scores: Array<{ flagged: string[] }> }>>>(
        '/msp/summary',
        submitted.body.meta.position,
      );
      expect(summary.body.data.find((c) => c.clientId === clinic)!.scores).toMatchObject([{ flagged: ['hipaa-002'] }]);

      // Undone: a new event, and the requirement no longer has that evidence.
      const unmapped = await post<Answer<{ requirementIds: string[] }>>(`/evidence/${stale}/unmap`, {
        requirementIds: ['hipaa-002', 'hipaa-003'],
      });
      expect(unmapped.status).toBe(200);
      expect(unmapped.body.data.requirementIds).toEqual([]);
      const events = (await ledger.storedEvents()).filter((e) => e.type === 'EvidenceUnmapped');
      expect(events.at(-1)!.data).toEqual({ requirementIds: ['hipaa-002'] });
      const after = await get<Answer<{ results: Array<{ requirementId: string; evidenceIds: string[] }> }>>(
        `/assessments/${assessmentId}`,
        unmapped.body.meta.position,
      );
      expect(after.body.data.results[1]).toMatchObject({ requirementId: 'hipaa-002', evidenceIds: [] });
      expect((await get<Answer<{ requirementIds: string[] }>>(`/evidence/${stale}`)).body.data.requirementIds).toEqual(
        [],
      );
    });

    it('answers the same file uploaded again for the client with the evidence it already has, recording nothing', async () => {
      const send = async (clientId: string, title: string) => {
        const form = new FormData();
        for (const [name, value] of Object.entries({
          clientId,
          title,
          validFrom: '2026-01-01',
          expiresAt: '2031-01-01T00:00:00Z',
        }))
          form.append(name, value);
        form.append('file', new Blob(['the very same minutes'], { type: 'text/plain' }), 'minutes.txt');
        const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin.accessToken}` },
          body: form,
        });
        return {
          status: response.status,
          location: response.headers.get('location'),
          body: (await response.json()) as Answer<Record<string, unknown> & { evidenceId: string }>,
        };
      };
      const uploadedEvents = async () =>
        (await ledger.storedEvents()).filter((e) => e.type === 'EvidenceUploaded').length;
      const first = await send(clinic, 'Board minutes');
      expect(first.status).toBe(201);
      expect(first.body.data.duplicate).toBe(false);
      const before = await uploadedEvents();
      const again = await send(clinic, 'Board minutes, again');
      expect(again.status).toBe(200);
      expect(again.location).toBe(`/api/v1/evidence/${first.body.data.evidenceId}`);
      expect(again.body.data).toMatchObject({
        evidenceId: first.body.data.evidenceId,
        duplicate: true,
        title: 'Board minutes',
        sha256: first.body.data.sha256,
      });
      expect(await uploadedEvents()).toBe(before);
      // Another client's evidence is its own; a retired record does not hold the file back.
      const otherClient = await createClient(ledger, admin.accessToken, 'Second clinic', ['hipaa']);
      expect((await send(otherClient, 'Board minutes')).status).toBe(201);
      await ledger.request('DELETE', `/evidence/${first.body.data.evidenceId}`, { token: admin.accessToken });
      const afterRetirement = await send(clinic, 'Board minutes 2026');
      expect(afterRetirement.status).toBe(201);
      expect(afterRetirement.body.data.evidenceId).not.toBe(first.body.data.evidenceId);
    });

    it('keeps unmapping to the evidence owner', async () => {
      const evidenceId = await upload('owned', { validFrom: '2026-01-01', expiresAt: '2030-01-01T00:00:00Z' });
      await post(`/evidence/${evidenceId}/map`, { requirementIds: ['hipaa-001'] });
      const other = await ledger.signUp('other');
      const body = { requirementIds: ['hipaa-001'] };
      expect(
        (await ledger.request('POST', `/evidence/${evidenceId}/unmap`, { token: other.accessToken, body })).status,
      ).toBe(404);
      const otherClient = await createClient(ledger, admin.accessToken, 'Other client', ['hipaa']);
      const scoped = ledger.tokenFor(admin.tenantId, 'compliance_officer', otherClient);
      expect((await ledger.request('POST', `/evidence/${evidenceId}/unmap`, { token: scoped, body })).status).toBe(404);
      expect((await ledger.request('POST', `/evidence/${evidenceId}/unmap`, { body })).status).toBe(401);
    });
  },
);
