import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, requirementsOf } from '../../domain/frameworks/index.js';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe('framework catalogs as data', () => {
  it.each([
    ['nist-800-53', 1007, 'AC-2(1)'],
    ['hipaa', 126, 'hipaa-001'],
    ['nist-csf-2', 185, 'GV.OC-01'],
    ['nist-ai-rmf', 466, 'GV-1.1-001'],
    ['gdpr', 29, 'Art.32'],
    ['soc2', 51, 'CC6.1'],
  ] as const)('%s has %i requirements, among them %s', (id, count, sample) => {
    const requirements = [...requirementsOf(FRAMEWORKS[id])];
    expect(requirements).toHaveLength(count);
    expect(requirements.map((r) => r.id)).toContain(sample);
    expect(new Set(requirements.map((r) => r.id)).size).toBe(count);
    for (const requirement of requirements) expect(requirement.title.length).toBeGreaterThan(3);
  });

  it('has no mis-decoded text from the AI RMF source', () => {
    expect(JSON.stringify(FRAMEWORKS['nist-ai-rmf'])).not.toMatch(/窶/);
  });
});

describe.skipIf(skip)(`GET /frameworks${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let token: string;
  beforeAll(async () => {
    ledger = await startTestLedger();
    token = (await ledger.signUp()).accessToken;
  });
  afterAll(() => ledger?.close());

  it('lists every framework with its catalog version', async () => {
    const response = await ledger.request<{
      data: Array<{ frameworkId: string; version: string }>;
      meta: Record<string, number>;
    }>('GET', '/frameworks', { token });
    expect(response.status).toBe(200);
    expect(response.body.data.map((f) => f.frameworkId)).toEqual([
      'hipaa',
      'gdpr',
      'soc2',
      'nist-800-53',
      'nist-csf-2',
      'nist-ai-rmf',
    ]);
    expect(response.body.data.find((f) => f.frameworkId === 'nist-800-53')?.version).toBe('5.0.1');
    expect(response.body.meta).toEqual({ total: 6, page: 1, size: 20, pages: 1 });
  });

  it('serves one framework as a tree, and 404 for an unknown one', async () => {
    const response = await ledger.request<{ data: { requirements: Array<{ id: string; children: unknown[] }> } }>(
      'GET',
      '/frameworks/nist-csf-2',
      { token },
    );
    expect(response.status).toBe(200);
    expect(response.body.data.requirements.map((g) => g.id)).toEqual(['GV', 'ID', 'PR', 'DE', 'RS', 'RC']);
    expect((await ledger.request('GET', '/frameworks/iso-27001', { token })).status).toBe(404);
    expect((await ledger.request('GET', '/frameworks')).status).toBe(401);
  });

  it('answers 404 for an id that names what every object has (constructor, __proto__, toString)', async () => {
    for (const id of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const response = await ledger.request<{ detail: string }>('GET', `/frameworks/${id}`, { token });
      expect(response.status, id).toBe(404);
      expect(response.body.detail).toBe(`No framework ${id}; see GET /api/v1/frameworks.`);
    }
  });
});
