import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(`assessments over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let token: string;
  let clientId: string;
  beforeAll(async () => {
    ledger = await startTestLedger();
    token = (await ledger.signUp()).accessToken;
    clientId = (
      await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
        token,
        body: { name: 'Acme', industry: 'saas', size: '51-200' },
      })
    ).body.data.clientId;
  });
  afterAll(() => ledger?.close());

  it('records results, submits with a score and progress, and is frozen after', async () => {
    const started = await ledger.request<{ data: { assessmentId: string } }>('POST', '/assessments', {
      token,
      body: { clientId, frameworkId: 'soc2', title: 'SOC 2 readiness' },
    });
    expect(started.status).toBe(201);
    const path = `/assessments/${started.body.data.assessmentId}`;
    for (const [requirement, body] of [
      ['CC6.1', { result: 'compliant' }],
      ['CC6.2', { result: 'partially_compliant', note: 'MFA for admins only' }],
      ['CC6.3', { result: 'non_compliant' }],
      ['CC6.4', { result: 'not_applicable' }],
    ] as const) {
      expect((await ledger.request('PUT', `${path}/requirements/${requirement}`, { token, body })).status).toBe(200);
    }
    const unknown = await ledger.request('PUT', `${path}/requirements/CC99.9`, {
      token,
      body: { result: 'compliant' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ errors: [{ field: 'requirementId' }] });
    const badScore = await ledger.request('PUT', `${path}/requirements/CC7.1`, {
      token,
      body: { result: 'compliant', score: 250 },
    });
    expect(badScore.body).toMatchObject({ errors: [{ field: 'score' }] });

    const submitted = await ledger.request<{ data: { score: number; progress: number } }>('POST', `${path}/submit`, {
      token,
      body: {},
    });
    expect(submitted.status).toBe(200);
    expect(submitted.body.data.score).toBe(50);
    expect(submitted.body.data.progress).toBeCloseTo(3 / 50, 3);
    expect(
      (await ledger.request('PUT', `${path}/requirements/CC6.3`, { token, body: { result: 'compliant' } })).status,
    ).toBe(409);
  });

  it('shows each result with the official citation, title and statement of its requirement', async () => {
    const started = await ledger.request<{ data: { assessmentId: string } }>('POST', '/assessments', {
      token,
      body: { clientId, frameworkId: 'hipaa', title: 'HIPAA risk review' },
    });
    expect(started.status).toBe(201);
    const path = `/assessments/${started.body.data.assessmentId}`;
    await ledger.request('PUT', `${path}/requirements/hipaa-002`, { token, body: { result: 'compliant' } });
    const last = await ledger.request<{ meta: { position: string } }>('PUT', `${path}/requirements/hipaa-110`, {
      token,
      body: { result: 'non_compliant' },
    });
    expect(last.status).toBe(200);
    const read = await ledger.request<{ data: { results: Array<Record<string, unknown>> } }>('GET', path, {
      token,
      headers: { 'X-Min-Position': last.body.meta.position },
    });
    expect(read.status).toBe(200);
    expect(read.body.data.results).toEqual([
      expect.objectContaining({
        requirementId: 'hipaa-002',
        citation: '§164.308(a)(1)(ii)(A)',
        title: 'Conduct Risk Assessment',
        statement: expect.stringContaining('Conduct an accurate and thorough assessment of the potential risks'),
      }),
      expect.objectContaining({
        requirementId: 'hipaa-110',
        citation: '§164.312(e)(1)',
        title: 'Implement Encryption',
      }),
    ]);
  });

  it('counts compliant requirements whose evidence has all expired as partially compliant, and flags them', async () => {
    const uploadEvidence = async (expiresAt: string) => {
      const data = new FormData();
      for (const [name, value] of Object.entries({ clientId, title: 'Evidence', validFrom: '2020-01-01', expiresAt }))
        data.append(name, value);
      data.append('file', new Blob([Buffer.from(`evidence valid until ${expiresAt}\n`)]), 'evidence.txt');
      const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: data,
      });
      return ((await response.json()) as { data: { evidenceId: string } }).data.evidenceId;
    };
    const expired = await uploadEvidence('2021-01-01T00:00:00Z');
    const fresh = await uploadEvidence('2999-01-01T00:00:00Z');
    const started = await ledger.request<{ data: { assessmentId: string } }>('POST', '/assessments', {
      token,
      body: { clientId, frameworkId: 'soc2', title: 'Evidence check' },
    });
    const path = `/assessments/${started.body.data.assessmentId}`;
    await ledger.request('PUT', `${path}/requirements/CC6.1`, {
      token,
      body: { result: 'compliant', evidenceIds: [expired] },
    });
    await ledger.request('PUT', `${path}/requirements/CC6.2`, {
      token,
      body: { result: 'compliant', evidenceIds: [expired, fresh] },
    });
    const unknown = await ledger.request('PUT', `${path}/requirements/CC6.3`, {
      token,
      body: { result: 'compliant', evidenceIds: [crypto.randomUUID()] },
    });
    expect(unknown.body).toMatchObject({ errors: [{ field: 'evidenceIds' }] });
    const submitted = await ledger.request<{ data: { score: number; flagged: string[] } }>('POST', `${path}/submit`, {
      token,
      body: {},
    });
    expect(submitted.body.data).toMatchObject({ score: 75, flagged: ['CC6.1'] });
  });

  it('refuses an unknown framework and a result outside the vocabulary, naming the field', async () => {
    expect(
      (
        await ledger.request('POST', '/assessments', {
          token,
          body: { clientId, frameworkId: 'iso-27001', title: 'x' },
        })
      ).body,
    ).toMatchObject({ errors: [{ field: 'frameworkId' }] });
    const started = await ledger.request<{ data: { assessmentId: string } }>('POST', '/assessments', {
      token,
      body: { clientId, frameworkId: 'nist-csf-2', title: 'CSF' },
    });
    const response = await ledger.request(
      'PUT',
      `/assessments/${started.body.data.assessmentId}/requirements/GV.OC-01`,
      { token, body: { result: 'mostly' } },
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ errors: [{ field: 'result' }] });
  });
});
