/**
 * One score: the assessment, the compliance report and the MSP summary score with the same function, live and as of
 * a moment, and each says how much of the catalog the score rests on (coverage).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, requirementList } from '../../domain/frameworks/index.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs } from '../support/services.js';
import { createClient, uploadEvidence } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Coverage {
  answered: number;
  total: number;
  ratio: number;
}
interface Scored {
  score: number | null;
  submittedScore: number | null;
  coverage: Coverage;
  flagged: string[];
}
interface Written {
  data: Record<string, unknown>;
  meta: { position: string };
}

describe.skipIf(skip)(`scores and their coverage${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let token = '';
  let clientId = '';
  let assessmentId = '';
  let evidenceId = '';
  let submitted: { status: number; body: Written };
  let retired: { status: number; body: Written };
  const total = requirementList(FRAMEWORKS.hipaa).length;

  const at = (value: string) => encodeURIComponent(value);
  // Reads wait until the read models show the retirement: the last write of the set-up.
  const get = <T>(path: string) =>
    ledger.request<T>('GET', path, {
      token,
      headers: retired ? { 'X-Min-Position': retired.body.meta.position } : {},
    });

  beforeAll(async () => {
    ledger = await startTestLedger();
    token = (await ledger.signUp()).accessToken;
    clientId = await createClient(ledger, token, 'Harbor Clinic', ['hipaa']);
    const uploaded = await uploadEvidence(ledger, token, clientId, 'MFA enrolment report');
    evidenceId = (uploaded.body.data as { evidenceId: string }).evidenceId;
    const started = await ledger.request<Written>('POST', '/assessments', {
      token,
      body: { clientId, frameworkId: 'hipaa', title: 'HIPAA 2026' },
    });
    assessmentId = started.body.data.assessmentId as string;
    const answers = {
      'hipaa-001': { result: 'compliant', evidenceIds: [evidenceId], note: 'MFA enforced for every admin; see report' },
      'hipaa-002': { result: 'partially_compliant', note: 'Risk register exists, not reviewed this year' },
      'hipaa-003': { result: 'non_compliant' },
      'hipaa-004': { result: 'compliant' },
    };
    for (const [requirementId, body] of Object.entries(answers)) {
      const answered = await ledger.request('PUT', `/assessments/${assessmentId}/requirements/${requirementId}`, {
        token,
        body,
      });
      expect(answered.status).toBe(200);
    }
    submitted = await ledger.request<Written>('POST', `/assessments/${assessmentId}/submit`, { token, body: {} });
    expect(submitted.status).toBe(200);
    // Retired after submission: the compliant requirement it backed counts as partially compliant from then on.
    retired = await ledger.request<Written>('DELETE', `/evidence/${evidenceId}`, { token });
    expect(retired.status).toBe(200);
  }, 60_000);
  afterAll(() => ledger?.close());

  it('submits 4 of the catalog with its score, its coverage and a low-coverage warning, in the answer and the event', async () => {
    expect(submitted.body.data).toMatchObject({
      assessmentId,
      score: 62.5,
      coverage: { answered: 4, total, ratio: Math.round((4 / total) * 1000) / 1000 },
      warnings: [{ code: 'low-coverage', message: expect.stringContaining(`4 of ${total} requirements`) }],
    });
    const events = await ledger.storedEvents();
    const event = events.find((e) => e.type === 'AssessmentSubmitted')!;
    expect(event.data).toMatchObject({
      score: 62.5,
      coverage: { answered: 4, total },
      warnings: [{ code: 'low-coverage' }],
    });
  });

  it('gives the same score and coverage from the assessment, the report and the summary, live and as of a moment', async () => {
    const read = async (asOf?: string) => {
      const query = asOf ? `asOf=${at(asOf)}` : '';
      const assessment = await get<{ data: Scored & { warnings: unknown[] } }>(
        `/assessments/${assessmentId}${query ? `?${query}` : ''}`,
      );
      const report = await get<{ data: { assessment: Scored & { warnings: unknown[] } } }>(
        `/reports/compliance?clientId=${clientId}&frameworkId=hipaa${query ? `&${query}` : ''}`,
      );
      const summary = await get<{ data: Array<{ clientId: string; scores: Array<Scored & { frameworkId: string }> }> }>(
        `/msp/summary${query ? `?${query}` : ''}`,
      );
      expect([assessment.status, report.status, summary.status]).toEqual([200, 200, 200]);
      const pick = ({ score, submittedScore, coverage, flagged }: Scored) => ({
        score,
        submittedScore,
        coverage,
        flagged,
      });
      const fromSummary = summary.body.data
        .find((c) => c.clientId === clientId)!
        .scores.find((s) => s.frameworkId === 'hipaa')!;
      expect(assessment.body.data.warnings).toEqual(report.body.data.assessment.warnings);
      return [pick(assessment.body.data), pick(report.body.data.assessment), pick(fromSummary)];
    };
    const coverage = { answered: 4, total, ratio: Math.round((4 / total) * 1000) / 1000 };

    const then = await read(submitted.body.meta.position);
    for (const scored of then) expect(scored).toEqual({ score: 62.5, submittedScore: 62.5, coverage, flagged: [] });

    const now = await read();
    for (const scored of now)
      expect(scored).toEqual({ score: 50, submittedScore: 62.5, coverage, flagged: ['hipaa-001'] });

    const byTime = await read(new Date().toISOString());
    expect(byTime).toEqual(now);
  });

  it("returns the assessor's notes with each result, in the assessment and the report", async () => {
    const assessment = await get<{ data: { results: Array<{ requirementId: string; note: string | null }> } }>(
      `/assessments/${assessmentId}`,
    );
    const notes = Object.fromEntries(assessment.body.data.results.map((r) => [r.requirementId, r.note]));
    expect(notes).toEqual({
      'hipaa-001': 'MFA enforced for every admin; see report',
      'hipaa-002': 'Risk register exists, not reviewed this year',
      'hipaa-003': null,
      'hipaa-004': null,
    });
    const report = await get<{ data: { requirements: Array<{ requirementId: string; note: string | null }> } }>(
      `/reports/compliance?clientId=${clientId}&frameworkId=hipaa`,
    );
    expect(Object.fromEntries(report.body.data.requirements.map((r) => [r.requirementId, r.note]))).toEqual(notes);
    const list = await get<{ data: Array<Scored & { assessmentId: string }> }>(`/assessments?clientId=${clientId}`);
    expect(list.body.data[0]).toMatchObject({
      assessmentId,
      score: 50,
      submittedScore: 62.5,
      coverage: { answered: 4 },
    });
  });
});
