/**
 * The compliance report over HTTP: its JSON against a scenario with known figures, and its PDF, whose extracted text
 * must carry the same figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, requirementList } from '../../domain/frameworks/index.js';
import { tamperWithEvent } from '../contract/tamper.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { pdfPages } from '../support/pdf-text.js';
import { needs } from '../support/services.js';

const skip = needs('postgres').skip || needs('redis').skip;
const DAY = 86_400_000;

interface Written {
  data: Record<string, string>;
  meta: { position: string };
}
interface Report {
  client: { name: string };
  framework: { frameworkId: string; catalogVersion: string };
  asOf: string;
  assessment: {
    assessmentId: string;
    score: number;
    submittedScore: number;
    progress: number;
    assessed: number;
    assessable: number;
    flagged: string[];
  } | null;
  requirements: Array<{
    requirementId: string;
    citation: string;
    statement: string | null;
    title: string;
    result: string;
    evidence: Array<{ title: string; freshness: string }>;
  }>;
  policies: Array<{ title: string; publishedVersion: number }>;
  violations: { total: number; bySeverity: Record<string, number> };
  scoreHistory: Array<{ score: number }>;
  verification: { ok: boolean; eventsChecked: number };
}

describe.skipIf(skip)(`the compliance report${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  let clientId = '';
  let firstSubmitted = '';
  let last = '';
  const requirements = requirementList(FRAMEWORKS['nist-800-53']).slice(0, 60);

  const send = async (method: string, path: string, body: unknown) => {
    const answer = await ledger.request<Written>(method, path, { token: admin.accessToken, body });
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    last = answer.body.meta?.position ?? last;
    return answer.body;
  };
  const upload = async (title: string, expiresAt: Date) => {
    const form = new FormData();
    for (const [name, value] of Object.entries({
      clientId,
      title,
      validFrom: '2024-01-01',
      expiresAt: expiresAt.toISOString(),
    }))
      form.append(name, value);
    form.append('file', new Blob([title], { type: 'text/plain' }), `${title}.txt`);
    const answer = (await (
      await fetch(`${ledger.url}/api/v1/evidence/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.accessToken}` },
        body: form,
      })
    ).json()) as Written;
    return answer.data.evidenceId!;
  };
  const report = (query: string) =>
    ledger.request<{ data: Report }>(
      'GET',
      `/reports/compliance?clientId=${clientId}&frameworkId=nist-800-53${query}`,
      { token: admin.accessToken, headers: { 'X-Min-Position': last } },
    );
  const pdf = async (query: string) => {
    const answer = await fetch(
      `${ledger.url}/api/v1/reports/compliance?clientId=${clientId}&frameworkId=nist-800-53&format=pdf${query}`,
      {
        headers: { authorization: `Bearer ${admin.accessToken}`, 'X-Min-Position': last },
      },
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/pdf');
    return pdfPages(new Uint8Array(await answer.arrayBuffer()));
  };

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
    clientId = (
      await send('POST', '/clients', {
        name: 'Northwind Clinic',
        industry: 'health',
        size: '51-200',
        frameworks: ['nist-800-53'],
      })
    ).data.clientId!;
    const current = await upload('Access control review', new Date(Date.now() + 200 * DAY));
    const lapsed = await upload('Old pen test', new Date(Date.now() - 5 * DAY));

    // First assessment: everything compliant. Second: a mix, one backed only by lapsed evidence.
    const first = (await send('POST', '/assessments', { clientId, frameworkId: 'nist-800-53', title: 'Baseline 2025' }))
      .data.assessmentId!;
    for (const r of requirements.slice(0, 10))
      await send('PUT', `/assessments/${first}/requirements/${encodeURIComponent(r.id)}`, {
        result: 'compliant',
        evidenceIds: [current],
      });
    await send('POST', `/assessments/${first}/submit`, {});
    firstSubmitted = last;
    const second = (await send('POST', '/assessments', { clientId, frameworkId: 'nist-800-53', title: 'Review 2026' }))
      .data.assessmentId!;
    const results = ['compliant', 'partially_compliant', 'non_compliant', 'not_applicable'];
    for (const [i, r] of requirements.entries()) {
      const evidenceIds = i === 0 ? [lapsed] : i % 4 === 0 ? [current] : [];
      await send('PUT', `/assessments/${second}/requirements/${encodeURIComponent(r.id)}`, {
        result: results[i % 4],
        evidenceIds,
      });
    }
    await send('POST', `/assessments/${second}/submit`, {});

    const context = {
      name: 'Northwind Clinic',
      industry: 'health',
      size: '51-200',
      dataTypes: ['phi'],
      aiTools: [],
      jurisdictions: ['US'],
    };
    const policyId = (
      await send('POST', '/policies/generate', { clientId, frameworkId: 'nist-800-53', companyContext: context })
    ).data.policyId!;
    await send('POST', `/policies/${policyId}/submit`, {});
    const reviewer = ledger.tokenFor(admin.tenantId, 'compliance_officer');
    for (const step of ['approve', 'publish']) {
      const answer = await ledger.request<Written>('POST', `/policies/${policyId}/${step}`, {
        token: reviewer,
        body: {},
      });
      expect(answer.status).toBe(200);
    }
    const service = (
      await send('POST', '/ai-services', {
        name: 'Shadow GPT',
        vendor: 'V',
        models: ['m'],
        baaSigned: false,
        dpaSigned: false,
        dataRetentionDays: 30,
      })
    ).data.aiServiceId!;
    await send('POST', '/analyze/prompt', { clientId, aiServiceId: service, prompt: 'Draft a newsletter' });
  }, 120_000);
  afterAll(() => ledger?.close());

  it('reports score, progress, requirements with evidence freshness, policies, violations, history and verification as JSON', async () => {
    const answer = await report('');
    expect(answer.status).toBe(200);
    const r = answer.body.data;
    // 60 answers: 15 of each result; 45 assessable, all assessed. The first is compliant but its only evidence has
    // lapsed, so it counts as partially compliant: (14·1 + 16·0.5 + 15·0) / 45 = 48.89.
    const assessable = requirementList(FRAMEWORKS['nist-800-53']).length - 15;
    expect(r.assessment).toMatchObject({
      score: 48.89,
      submittedScore: 48.89,
      progress: Math.round((45 / assessable) * 1000) / 1000,
      assessed: 45,
      assessable,
      flagged: [requirements[0]!.id],
    });
    expect(r.requirements).toHaveLength(60);
    expect(r.requirements[0]).toMatchObject({
      requirementId: requirements[0]!.id,
      title: requirements[0]!.title,
      result: 'compliant',
      evidence: [{ title: 'Old pen test', freshness: 'expired' }],
    });
    expect(r.requirements[4]!.evidence).toEqual([
      expect.objectContaining({ title: 'Access control review', freshness: 'valid' }),
    ]);
    expect(r.policies).toEqual([expect.objectContaining({ publishedVersion: 1 })]);
    expect(r.violations).toMatchObject({ total: 1, bySeverity: { high: 1 } });
    expect(r.scoreHistory.map((p) => p.score)).toEqual([100, 48.89]);
    expect(r.verification).toMatchObject({ ok: true });
    expect(r.verification.eventsChecked).toBeGreaterThan(80);
  });

  it('reports as of an earlier moment: the first assessment, no policy, no violation', async () => {
    const then = (await report(`&asOf=${encodeURIComponent(firstSubmitted)}`)).body.data;
    expect(then.assessment).toMatchObject({ score: 100, assessed: 10, flagged: [] });
    expect(then.policies).toEqual([]);
    expect(then.violations.total).toBe(0);
    expect(then.scoreHistory.map((p) => p.score)).toEqual([100]);
  });

  it('renders the same figures in a paginated PDF', async () => {
    const json = (await report('')).body.data;
    const pages = await pdf('');
    expect(pages.length).toBeGreaterThan(1);
    const text = pages.join('\n');
    expect(text).toContain('Compliance report');
    expect(text).toContain('Northwind Clinic');
    expect(text).toContain(`catalog version ${json.framework.catalogVersion}`);
    expect(text).toContain(`Score: ${json.assessment!.score}`);
    expect(text).toContain(`(${json.assessment!.assessed} of ${json.assessment!.assessable} assessable requirements)`);
    for (const requirement of json.requirements) expect(text).toContain(requirement.requirementId);
    expect(text).toContain('Old pen test: expired');
    expect(text).toContain(`${json.policies[0]!.title}: published version 1`);
    expect(text).toContain(`Total: ${json.violations.total}`);
    expect(text).toContain(`Hash chain verified: ${json.verification.eventsChecked} events`);
    pages.forEach((page, i) => expect(page).toContain(`page ${i + 1} of ${pages.length}`));
    // The requirements table repeats its header on each page it continues on.
    expect(pages.filter((page) => page.includes('Evidence (freshness as of this report)')).length).toBeGreaterThan(1);
  });

  it('cites each requirement officially, with its statement, in the JSON and the PDF', async () => {
    const nist = (await report('')).body.data.requirements.find((r) => r.requirementId === 'AC-2(1)');
    expect(nist).toMatchObject({
      citation: 'AC-2(1)',
      statement: expect.stringContaining('[Assignment: organization-defined automated mechanisms]'),
    });

    const clinic = (await send('POST', '/clients', { name: 'Harbor Clinic', industry: 'health', size: '1-10' })).data
      .clientId!;
    const assessment = (
      await send('POST', '/assessments', { clientId: clinic, frameworkId: 'hipaa', title: 'HIPAA baseline' })
    ).data.assessmentId!;
    await send('PUT', `/assessments/${assessment}/requirements/hipaa-002`, { result: 'compliant' });
    await send('PUT', `/assessments/${assessment}/requirements/hipaa-110`, { result: 'non_compliant' });
    const query = `clientId=${clinic}&frameworkId=hipaa`;
    const json = await ledger.request<{ data: Report }>('GET', `/reports/compliance?${query}`, {
      token: admin.accessToken,
      headers: { 'X-Min-Position': last },
    });
    expect(json.status).toBe(200);
    expect(json.body.data.requirements).toEqual([
      expect.objectContaining({
        requirementId: 'hipaa-002',
        citation: '§164.308(a)(1)(ii)(A)',
        title: 'Conduct Risk Assessment',
        statement: expect.stringContaining('Conduct an accurate and thorough assessment'),
      }),
      expect.objectContaining({ requirementId: 'hipaa-110', citation: '§164.312(e)(1)' }),
    ]);
    const file = await fetch(`${ledger.url}/api/v1/reports/compliance?${query}&format=pdf`, {
      headers: { authorization: `Bearer ${admin.accessToken}`, 'X-Min-Position': last },
    });
    expect(file.status).toBe(200);
    const text = (await pdfPages(new Uint8Array(await file.arrayBuffer()))).join('\n');
    expect(text).toContain('§164.308(a)(1)(ii)(A) (hipaa-002)');
    expect(text).toContain('§164.312(e)(1) (hipaa-110)');
  });

  it('refuses bad parameters by name, and reports a broken hash chain', async () => {
    const bad = await ledger.request<{ errors: Array<{ field: string }> }>(
      'GET',
      `/reports/compliance?clientId=${clientId}&frameworkId=iso-9001`,
      { token: admin.accessToken },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]!.field).toContain('frameworkId');
    await ledger.sql((db) =>
      tamperWithEvent({ db } as never, `${admin.tenantId}/client/${clientId}`, 0, {
        clientId,
        name: 'Forged',
        industry: 'x',
        size: '1-10',
      }),
    );
    expect((await report('')).body.data.verification.ok).toBe(false);
    expect((await pdf('')).join('\n')).toContain('Hash chain BROKEN');
  });
});
