import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markdownToPdf } from '../../command-api/policies/pdf.js';
import { START_MARK, STOP_MARK } from '../../query-api/search/highlights.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs } from '../support/services.js';
import { approvedService, createClient, inviteMember, type Member, type SignedUp } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Result {
  type: string;
  id: string;
  clientId: string | null;
  frameworkId: string | null;
  citation: string | null;
  title: string;
  titleHighlights: Array<{ start: number; end: number }>;
  snippet: string;
  highlights: Array<{ start: number; end: number }>;
  status: string | null;
  rank: number;
}
interface Found {
  data: Result[];
  meta: { total: number; page: number; size: number; pages: number };
}

const DOCX = readFileSync(new URL('../fixtures/minimal.docx', import.meta.url));

/** The words a result's ranges mark. */
const marked = (text: string, ranges: Result['highlights']) => ranges.map((r) => text.slice(r.start, r.end));

describe.skipIf(skip)(`GET /search over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: SignedUp;
  let clinic: string;
  let freight: string;
  let freightOfficer: Member;
  let policyId: string;
  const ids: Record<string, string> = {};
  /** The last position written: every search waits for the index to reach it. */
  let last = '';

  const wrote = (response: { status: number; body: unknown }, status = [200, 201]) => {
    if (!status.includes(response.status)) throw new Error(`${response.status} ${JSON.stringify(response.body)}`);
    const position = (response.body as { meta?: { position?: string } }).meta?.position;
    if (position) last = position;
    return response.body as { data: Record<string, string> };
  };

  const search = (query: string, token = admin.accessToken) =>
    ledger.request<Found>('GET', `/search?${query}`, { token, headers: last ? { 'X-Min-Position': last } : {} });

  async function upload(clientId: string, file: Uint8Array | string, fileName: string, title: string) {
    const form = new FormData();
    for (const [name, value] of Object.entries({
      clientId,
      title,
      validFrom: '2026-01-01',
      expiresAt: '2030-01-01T00:00:00Z',
    }))
      form.append(name, value);
    form.append('file', new Blob([file]), fileName);
    const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.accessToken}` },
      body: form,
    });
    const body = wrote({ status: response.status, body: await response.json() }, [201]);
    return body.data.evidenceId!;
  }

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
    const token = admin.accessToken;
    clinic = await createClient(ledger, token, 'Zephyr Dental', ['hipaa']);
    freight = await createClient(ledger, token, 'Orbital Freight');
    freightOfficer = await inviteMember(ledger, token, 'compliance_officer', freight);

    const generated = wrote(
      await ledger.request('POST', '/policies/generate', {
        token,
        body: { clientId: clinic, frameworkId: 'hipaa' },
      }),
    );
    policyId = generated.data.policyId!;
    wrote(
      await ledger.request('PUT', `/policies/${policyId}`, {
        token,
        body: { content: '# AI use\n\nStaff must **never** paste radiograph images into a chatbot.\n' },
      }),
    );

    ids.text = await upload(
      clinic,
      'Ransomware playbook. Ransomware recovery drills: restore from offline backups after ransomware.',
      'playbook.txt',
      'Ransomware playbook',
    );
    ids.notes = await upload(
      clinic,
      `Meeting notes. ${'Budget and staffing were discussed at length. '.repeat(40)}One item on ransomware insurance.`,
      'notes.txt',
      'Board meeting notes',
    );
    const pdf = await markdownToPdf('# Network test\n\nThe firewall quarantined traffic from zebrafish servers.', {
      title: 'Penetration test',
      footer: 'Confidential',
    });
    ids.pdf = await upload(clinic, pdf, 'pentest-report.pdf', 'Penetration test report');
    ids.docx = await upload(freight, DOCX, 'q1-attestation.docx', 'Quarterly attestation');

    const aiServiceId = await approvedService(ledger, token, [clinic]);
    wrote(
      await ledger.request('POST', '/analyze/prompt', {
        token,
        body: { clientId: clinic, aiServiceId, prompt: 'Patient SSN 219-45-6781 needs a refill' },
      }),
    );
  }, 120_000);
  afterAll(() => ledger?.close());

  it('finds a policy by the text of its current version, with a plain-text snippet and its highlighted ranges', async () => {
    const found = await search('q=radiographs');
    expect(found.status).toBe(200);
    expect(found.body.data).toHaveLength(1);
    const [policy] = found.body.data;
    expect(policy).toMatchObject({ type: 'policy', id: policyId, clientId: clinic, frameworkId: 'hipaa' });
    expect(policy!.status).toBe('draft');
    // Markdown is read as text: no emphasis marks, no markup of any kind around the match.
    expect(policy!.snippet).toContain('Staff must never paste radiograph images into a chatbot');
    expect(policy!.snippet).not.toMatch(/[<>*]/);
    expect(policy!.snippet).not.toContain(START_MARK);
    expect(policy!.snippet).not.toContain(STOP_MARK);
    expect(marked(policy!.snippet, policy!.highlights)).toEqual(['radiograph']);
    expect(found.body.meta).toEqual({ total: 1, page: 1, size: 20, pages: 1 });
  });

  it('indexes a policy’s new version in place of the last one', async () => {
    wrote(
      await ledger.request('PUT', `/policies/${policyId}`, {
        token: admin.accessToken,
        body: { content: '# AI use\n\nMammography results stay out of every chatbot.\n' },
      }),
    );
    expect((await search('q=radiograph')).body.data).toEqual([]);
    expect((await search('q=mammography')).body.data.map((r) => r.id)).toEqual([policyId]);
  });

  it('finds evidence by the text of its PDF, DOCX and plain-text files', async () => {
    const pdf = (await search('q=zebrafish')).body.data;
    expect(pdf.map((r) => [r.type, r.id])).toEqual([['evidence', ids.pdf]]);
    expect(marked(pdf[0]!.snippet, pdf[0]!.highlights)).toEqual(['zebrafish']);

    // minimal.docx says "Access review"; neither its title nor its file name does.
    const docx = (await search('q="access review"&types=evidence')).body.data;
    expect(docx.map((r) => r.id)).toEqual([ids.docx]);
    expect(docx[0]!.snippet).toBe('Access review');
    expect(marked(docx[0]!.snippet, docx[0]!.highlights)).toEqual(['Access', 'review']);

    const text = (await search('q=offline backups')).body.data;
    expect(text.map((r) => r.id)).toEqual([ids.text]);
    // And by file name.
    expect((await search('q=pentest')).body.data.map((r) => r.id)).toEqual([ids.pdf]);
  });

  it('ranks the more relevant first, and pages through the results', async () => {
    const all = await search('q=ransomware&types=evidence');
    expect(all.body.data.map((r) => r.id)).toEqual([ids.text, ids.notes]);
    expect(all.body.data[0]!.rank).toBeGreaterThan(all.body.data[1]!.rank);
    expect(marked(all.body.data[0]!.title, all.body.data[0]!.titleHighlights)).toEqual(['Ransomware']);

    const second = await search('q=ransomware&types=evidence&size=1&page=2');
    expect(second.body.data.map((r) => r.id)).toEqual([ids.notes]);
    expect(second.body.meta).toEqual({ total: 2, page: 2, size: 1, pages: 2 });
  });

  it('finds a requirement by its citation, the exact citation first, and by its words', async () => {
    const hipaa = (await search('q=164.308(a)(1)&types=requirement')).body.data;
    expect(hipaa[0]).toMatchObject({
      type: 'requirement',
      frameworkId: 'hipaa',
      citation: '§164.308(a)(1)',
      clientId: null,
    });
    expect(hipaa.length).toBeGreaterThan(1);

    const nist = (await search('q=AC-2(1)&types=requirement')).body.data;
    expect(nist[0]).toMatchObject({ id: 'AC-2(1)', citation: 'AC-2(1)', frameworkId: 'nist-800-53' });
    expect(nist[0]!.title).toBe('Automated System Account Management');

    const words = (await search('q=account management&types=requirement&size=50')).body.data;
    expect(words.map((r) => r.id)).toContain('AC-2');
  });

  it('finds evidence by the citations it is mapped to, until it is unmapped', async () => {
    const map = (action: 'map' | 'unmap') =>
      ledger.request('POST', `/evidence/${ids.text}/${action}`, {
        token: admin.accessToken,
        body: { requirementIds: ['hipaa-001'] },
      });
    wrote(await map('map'));
    expect((await search('q=164.308(a)(1)&types=evidence')).body.data.map((r) => r.id)).toEqual([ids.text]);
    wrote(await map('unmap'));
    expect((await search('q=164.308(a)(1)&types=evidence')).body.data).toEqual([]);
  });

  it('finds clients and violations, never by a prompt’s text', async () => {
    // Its policy's title names the client too.
    const clients = (await search('q=zephyr&types=client')).body.data;
    expect(clients.map((r) => [r.type, r.id, r.status])).toEqual([['client', clinic, 'active']]);

    const violations = (await search('q=US_SSN&types=violation')).body.data;
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ type: 'violation', clientId: clinic, status: 'open' });
    expect(violations[0]!.title).toMatch(/^Sensitive data in a prompt/);
    expect((await search('q=refill')).body.data).toEqual([]);
    expect(JSON.stringify(violations)).not.toContain('219-45-6781');
  });

  it('narrows to the types asked for', async () => {
    const found = await search('q=zephyr OR zebrafish OR mammography&types=client,policy');
    expect(found.body.data.map((r) => r.type).sort()).toEqual(['client', 'policy']);
  });

  it('keeps renamed, archived and retired documents as they now are', async () => {
    const token = admin.accessToken;
    wrote(await ledger.request('PUT', `/clients/${freight}`, { token, body: { name: 'Orbital Logistics' } }));
    expect((await search('q=freight&types=client')).body.data).toEqual([]);
    expect((await search('q=logistics&types=client')).body.data.map((r) => r.id)).toEqual([freight]);

    wrote(await ledger.request('DELETE', `/evidence/${ids.pdf}`, { token, body: { reason: 'superseded' } }));
    expect((await search('q=zebrafish')).body.data.map((r) => [r.id, r.status])).toEqual([[ids.pdf, 'retired']]);
  });

  it('shows a client-scoped user its own client’s documents and the requirements, nothing of other clients', async () => {
    const as = freightOfficer.accessToken;
    const theirs =
      'q=mammography OR zebrafish OR ransomware OR zephyr OR US_SSN&types=policy,evidence,client,violation';
    expect((await search(theirs, as)).body.data).toEqual([]);
    const own = (await search('q="access review"', as)).body.data;
    expect(own.map((r) => r.id)).toContain(ids.docx);
    expect(own.every((r) => r.clientId === freight || r.type === 'requirement')).toBe(true);
    expect((await search('q=164.308(a)(1)&types=requirement', as)).body.data.length).toBeGreaterThan(0);
  });

  it('shows another tenant nothing of this one', async () => {
    const other = await ledger.signUp('other');
    const found = await search(
      'q=mammography OR zebrafish OR ransomware OR zephyr OR logistics OR US_SSN&types=policy,evidence,client,violation',
      other.accessToken,
    );
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ data: [], meta: { total: 0, page: 1, size: 20, pages: 0 } });
  });

  it('searches only the types the caller’s role may read, and refuses to be asked for others', async () => {
    const member = ledger.tokenFor(admin.tenantId, 'member', clinic);
    const found = await search('q=mammography OR zephyr OR ransomware OR 164.308(a)(1)', member);
    expect(found.status).toBe(200);
    expect(new Set(found.body.data.map((r) => r.type))).toEqual(new Set(['policy', 'requirement']));
    const refused = await search('q=ransomware&types=evidence', member);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ errors: [{ field: 'types' }] });
  });

  it('answers bad input with a 400 naming the field', async () => {
    for (const [query, field] of [
      ['', 'q'],
      ['q=', 'q'],
      ['q=%20%20', 'q'],
      ['q=%22%2B%2B%22', 'q'],
      [`q=${'a'.repeat(201)}`, 'q'],
      ['q=x&types=policy,secrets', 'types'],
      ['q=x&types=', 'types'],
      ['q=x&size=0', 'size'],
    ] as const) {
      const answer = await search(query);
      expect(answer.status, query).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((answer.body as unknown as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toContain(
        field,
      );
    }
  });
});
