import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, requirementById, requirementsOf } from '../../domain/frameworks/index.js';
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

  it.each([
    ['hipaa', 'hipaa-001', '§164.308(a)(1)', 'Identify where ePHI is generated'],
    ['hipaa', 'hipaa-002', '§164.308(a)(1)(ii)(A)', 'Conduct an accurate and thorough assessment'],
    ['hipaa', 'hipaa-088', '§164.312(a)(2)(iii)', undefined],
    ['hipaa', 'hipaa-126', '§164.316(b)(2)(iii)', undefined],
    ['hipaa', 'hipaa-057', '§164.308(b)(1)', undefined],
    ['hipaa', 'hipaa-087', '§164.312(a)', undefined],
    ['hipaa', 'hipaa-123', '§164.316(b)', undefined],
    [
      'nist-800-53',
      'AC-2(1)',
      'AC-2(1)',
      'Support the management of system accounts using [Assignment: organization-defined automated mechanisms].',
    ],
    ['nist-csf-2', 'GV.OC-01', 'GV.OC-01', 'The organizational mission is understood'],
    ['nist-ai-rmf', 'GV-1.1-001', 'GV-1.1-001', 'Align GAI use with applicable laws'],
    ['gdpr', 'Art.32', 'Art. 32', undefined],
    ['soc2', 'CC6.1', 'CC6.1', undefined],
  ] as const)('%s %s cites %s, with the statement the source has', (framework, id, citation, statement) => {
    const requirement = requirementById(FRAMEWORKS[framework], id);
    expect(requirement?.citation).toBe(citation);
    if (statement) expect(requirement?.statement).toContain(statement);
  });

  it('gives every requirement of every framework a citation, and the OSCAL ones a statement', () => {
    for (const catalog of Object.values(FRAMEWORKS)) {
      for (const requirement of requirementsOf(catalog)) {
        expect(requirement.citation, `${catalog.id} ${requirement.id}`).toMatch(/\S/);
        if (catalog.source.origin !== 'compliance-ledger')
          expect(requirement.statement, `${catalog.id} ${requirement.id}`).toMatch(/\S/);
      }
    }
  });

  it('reads SP 800-53 statements as NIST prints them: parameters resolved, items labelled, guidance kept', () => {
    const ac7 = requirementById(FRAMEWORKS['nist-800-53'], 'AC-7')!;
    expect(ac7.statement).toContain('a. Enforce a limit of [Assignment: organization-defined number] consecutive');
    expect(ac7.statement).toContain('[Selection (one or more): lock the account or node for an [Assignment:');
    expect(ac7.guidance).toMatch(/^The need to limit unsuccessful logon attempts/);
    expect(JSON.stringify(FRAMEWORKS['nist-800-53'])).not.toMatch(/\{\{|insert: param/);
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

  it('shows each requirement with its official citation and statement, and says so in /openapi.json', async () => {
    type Node = { id: string; citation?: string; statement?: string; children?: Node[] };
    const response = await ledger.request<{ data: { requirements: Node[] } }>('GET', '/frameworks/hipaa', { token });
    expect(response.status).toBe(200);
    const flat = (nodes: Node[]): Node[] => nodes.flatMap((n) => [n, ...flat(n.children ?? [])]);
    const nodes = flat(response.body.data.requirements);
    expect(nodes.find((n) => n.id === 'group-1')?.citation).toBe('§164.308');
    expect(nodes.find((n) => n.id === 'hipaa-002')).toMatchObject({
      citation: '§164.308(a)(1)(ii)(A)',
      statement: expect.stringContaining('Conduct an accurate and thorough assessment'),
    });
    const nist = await ledger.request<{ data: { requirements: Node[] } }>('GET', '/frameworks/nist-800-53', { token });
    expect(flat(nist.body.data.requirements).find((n) => n.id === 'AC-2(1)')).toMatchObject({
      citation: 'AC-2(1)',
      guidance: expect.stringContaining('Automated system account management'),
    });
    const document = (await (await fetch(`${ledger.url}/openapi.json`)).json()) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(Object.keys(document.components.schemas.CatalogNode!.properties)).toEqual(
      expect.arrayContaining(['id', 'citation', 'title', 'statement', 'guidance']),
    );
  });

  it('answers 404 for an id that names what every object has (constructor, __proto__, toString)', async () => {
    for (const id of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const response = await ledger.request<{ detail: string }>('GET', `/frameworks/${id}`, { token });
      expect(response.status, id).toBe(404);
      expect(response.body.detail).toBe(`No framework ${id}; see GET /api/v1/frameworks.`);
    }
  });
});
