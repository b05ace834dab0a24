import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { pdfPages } from '../support/pdf-text.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(`policies over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  let clientId: string;
  const context = {
    name: 'Acme Clinic',
    industry: 'healthcare',
    size: '11-50',
    dataTypes: ['phi'],
    aiTools: ['ChatGPT Enterprise'],
    jurisdictions: ['US'],
  };

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
    clientId = (
      await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
        token: admin.accessToken,
        body: { name: 'Acme', industry: 'healthcare', size: '11-50' },
      })
    ).body.data.clientId;
  });
  afterAll(() => ledger?.close());

  /** A compliance officer of the same tenant: a second person who may approve. */
  function reviewer(): string {
    const key = createSecretKey(Buffer.from(ledger.config.JWT_SECRET!, 'utf8'));
    return jwt.sign({ tid: admin.tenantId, role: 'compliance_officer', cid: clientId, sid: randomUUID() }, key, {
      subject: randomUUID(),
      expiresIn: 60,
      algorithm: 'HS256',
    });
  }

  async function generate() {
    const response = await ledger.request<{ data: { policyId: string; version: number; status: string } }>(
      'POST',
      '/policies/generate',
      {
        token: admin.accessToken,
        body: { clientId, frameworkId: 'hipaa', companyContext: context },
      },
    );
    expect(response.status).toBe(201);
    return response.body.data.policyId;
  }

  it('generates, submits, is approved by another person and published', async () => {
    const policyId = await generate();
    const path = `/policies/${policyId}`;
    expect((await ledger.request('POST', `${path}/submit`, { token: admin.accessToken, body: {} })).body).toMatchObject(
      { data: { status: 'in_review', version: 1 } },
    );
    const selfApproval = await ledger.request('POST', `${path}/approve`, { token: admin.accessToken, body: {} });
    expect(selfApproval.status).toBe(403);
    expect(selfApproval.body).toMatchObject({ detail: expect.stringMatching(/own draft/) });
    expect(
      (await ledger.request('POST', `${path}/approve`, { token: reviewer(), body: { comment: 'Looks right' } })).body,
    ).toMatchObject({ data: { status: 'approved' } });
    expect((await ledger.request('POST', `${path}/publish`, { token: reviewer(), body: {} })).body).toMatchObject({
      data: { status: 'published', version: 1 },
    });
  });

  it('needs a new approval after an edit, and refuses a stale If-Match', async () => {
    const policyId = await generate();
    const path = `/policies/${policyId}`;
    await ledger.request('POST', `${path}/submit`, { token: admin.accessToken, body: {} });
    await ledger.request('POST', `${path}/approve`, { token: reviewer(), body: {} });
    const edited = await ledger.request('PUT', path, {
      token: admin.accessToken,
      body: { content: '# Changed policy\n\nNew rules.\n' },
    });
    expect(edited.body).toMatchObject({ data: { version: 2, status: 'draft' } });
    expect((await ledger.request('POST', `${path}/publish`, { token: reviewer(), body: {} })).status).toBe(409);
    const stale = await ledger.request('PUT', path, {
      token: admin.accessToken,
      body: { content: '# Again' },
      headers: { 'If-Match': '"1"' },
    });
    expect(stale.status).toBe(412);
  });

  it('retires a policy, keeping its history, after which it accepts no change', async () => {
    const policyId = await generate();
    const retired = await ledger.request('DELETE', `/policies/${policyId}`, { token: admin.accessToken });
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ data: { policyId, status: 'retired', version: 1 } });
    expect(
      (await ledger.request('PUT', `/policies/${policyId}`, { token: admin.accessToken, body: { content: '# New' } }))
        .status,
    ).toBe(410);
    const history = await fetch(`${ledger.url}/api/v1/policies/${policyId}/export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'markdown', version: 1 }),
    });
    expect(history.status).toBe(200);
    expect(await history.text()).toMatch(/^# AI Acceptable Use Policy/);
  });

  it('exports a version as Markdown and as PDF', async () => {
    const policyId = await generate();
    const markdown = await fetch(`${ledger.url}/api/v1/policies/${policyId}/export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'markdown', version: 1 }),
    });
    expect(markdown.status).toBe(200);
    expect(markdown.headers.get('content-type')).toMatch(/^text\/markdown/);
    const text = await markdown.text();
    expect(text).toMatch(/^# AI Acceptable Use Policy: Acme Clinic/);
    expect(text).toContain('Protected health information');

    const pdf = await fetch(`${ledger.url}/api/v1/policies/${policyId}/export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'pdf' }),
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(2_000);
    expect(
      (
        await ledger.request('POST', `/policies/${policyId}/export`, {
          token: admin.accessToken,
          body: { format: 'pdf', version: 9 },
        })
      ).status,
    ).toBe(404);
  });

  it('lists policies changed within ?from= and ?to=, times written as RFC 3339 allows (T and Z, or t and z)', async () => {
    const before = new Date(Date.now() - 60_000).toISOString();
    const generated = await ledger.request<{ data: { policyId: string }; meta: { position: string } }>(
      'POST',
      '/policies/generate',
      { token: admin.accessToken, body: { clientId, frameworkId: 'gdpr', companyContext: context } },
    );
    const after = new Date(Date.now() + 60_000).toISOString();
    const list = (query: string) =>
      ledger.request<{ data: Array<{ policyId: string }> }>('GET', `/policies?frameworkId=gdpr&${query}`, {
        token: admin.accessToken,
        headers: { 'X-Min-Position': generated.body.meta.position },
      });
    for (const [from, to] of [
      [before, after],
      [before.toLowerCase(), after.toLowerCase()],
    ]) {
      const inRange = await list(`from=${encodeURIComponent(from!)}&to=${encodeURIComponent(to!)}`);
      expect(inRange.status, from).toBe(200);
      expect(inRange.body.data.map((p) => p.policyId)).toContain(generated.body.data.policyId);
    }
    const later = await list(`from=${encodeURIComponent(after)}`);
    expect(later.status).toBe(200);
    expect(later.body.data.map((p) => p.policyId)).not.toContain(generated.body.data.policyId);
    const bad = await list('from=yesterday');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('from');
  });

  /** A real person of the tenant (invited, accepted under a name, logged in): their name is what documents show. */
  async function person(name: string, role = 'compliance_officer') {
    const email = `${role}-${randomBytes(3).toString('hex')}@example.com`;
    const invited = await ledger.request<{ data: { userId: string } }>('POST', '/users/invite', {
      token: admin.accessToken,
      body: { email, role, clientId },
    });
    expect(invited.status).toBe(201);
    const token = /token=([A-Za-z0-9._-]+)/.exec(ledger.lastMailTo(email))![1]!;
    const password = 'a perfectly fine password';
    const accepted = await ledger.request('POST', '/users/accept-invite', { body: { token, name, password } });
    expect(accepted.status).toBe(200);
    const login = await ledger.request<{ data: { accessToken: string } }>('POST', '/auth/login', {
      body: { email, password },
    });
    return { userId: invited.body.data.userId, accessToken: login.body.data.accessToken };
  }

  async function exported(policyId: string, format: 'markdown' | 'pdf', version?: number): Promise<string> {
    const response = await fetch(`${ledger.url}/api/v1/policies/${policyId}/export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ format, ...(version ? { version } : {}) }),
    });
    expect(response.status).toBe(200);
    if (format === 'markdown') return response.text();
    return (await pdfPages(new Uint8Array(await response.arrayBuffer()))).join('\n');
  }

  it('cites the official HIPAA Security Rule sections in the generated text and the PDF, not our ids', async () => {
    const policyId = await generate();
    const markdown = await exported(policyId, 'markdown');
    expect(markdown).toMatch(/> Traces to HIPAA Security Rule: §164\.308\(a\)\(\d\) \(/);
    expect(markdown).toContain('§164.308(a)(6) (Determine the Goals of Incident Response;');
    expect(markdown).not.toMatch(/hipaa-\d{3}/);
    const pdf = await exported(policyId, 'pdf');
    expect(pdf).toContain('§164.308(a)(6)');
    expect(pdf).not.toMatch(/hipaa-\d{3}/);
  });

  it("takes the company's name, industry and size from the client unless the request gives them", async () => {
    const generateWith = (companyContext?: Record<string, unknown>) =>
      ledger.request<{ data: { policyId: string } }>('POST', '/policies/generate', {
        token: admin.accessToken,
        body: { clientId, frameworkId: 'hipaa', ...(companyContext ? { companyContext } : {}) },
      });
    const bare = await generateWith();
    expect(bare.status).toBe(201);
    const fromClient = await exported(bare.body.data.policyId, 'markdown');
    expect(fromClient).toMatch(/^# AI Acceptable Use Policy: Acme\n/);
    expect(fromClient).toContain('Industry: healthcare. Organisation size: 11-50.');

    const partly = await generateWith({ name: 'Acme Clinic East', dataTypes: ['phi'] });
    expect(partly.status).toBe(201);
    const overridden = await exported(partly.body.data.policyId, 'markdown');
    expect(overridden).toMatch(/^# AI Acceptable Use Policy: Acme Clinic East\n/);
    expect(overridden).toContain('Industry: healthcare. Organisation size: 11-50.');

    const bad = await generateWith({ size: '' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('companyContext');
  });

  it('lists the AI services approved for the client at generation time as its approved tools, unless the request lists them', async () => {
    const post = <T>(path: string, body: unknown) =>
      ledger.request<{ data: T }>('POST', path, { token: admin.accessToken, body });
    const clinic = (
      await post<{ clientId: string }>('/clients', { name: 'Registry Clinic', industry: 'healthcare', size: '11-50' })
    ).body.data.clientId;
    const service = async (name: string) =>
      (
        await post<{ aiServiceId: string }>('/ai-services', {
          name,
          vendor: 'Vendor',
          models: ['m'],
          baaSigned: true,
          dpaSigned: true,
          dataRetentionDays: 0,
        })
      ).body.data.aiServiceId;
    const [zeta, alpha, revoked] = [
      await service('Zeta Scribe'),
      await service('Alpha Chat'),
      await service('Gone AI'),
    ];
    await service('Never Approved AI');
    for (const id of [zeta, alpha, revoked])
      expect((await post(`/clients/${clinic}/ai-services/${id}/approve`, { reason: 'BAA signed' })).status).toBe(200);
    expect((await post(`/clients/${clinic}/ai-services/${revoked}/revoke`, { reason: 'ended' })).status).toBe(200);

    const generated = await post<{ policyId: string }>('/policies/generate', {
      clientId: clinic,
      frameworkId: 'hipaa',
    });
    expect(generated.status).toBe(201);
    const markdown = await exported(generated.body.data.policyId, 'markdown');
    expect(markdown).toContain('Only these AI tools may be used for work');
    expect(markdown).toContain('- Alpha Chat\n- Zeta Scribe\n');
    expect(markdown).not.toContain('No AI tool is approved yet');
    expect(markdown).not.toMatch(/Gone AI|Never Approved AI/);
    const pdf = await exported(generated.body.data.policyId, 'pdf');
    expect(pdf).toContain('Alpha Chat');
    expect(pdf).toContain('Zeta Scribe');
    expect(pdf).not.toContain('No AI tool is approved yet');

    // The request's list still wins, an empty one included.
    const given = await post<{ policyId: string }>('/policies/generate', {
      clientId: clinic,
      frameworkId: 'hipaa',
      companyContext: { aiTools: [] },
    });
    expect(await exported(given.body.data.policyId, 'markdown')).toContain('No AI tool is approved yet');
  });

  it('prints in the PDF who approved and who published the version, and when; an erased person as [erased]', async () => {
    const approver = await person('Alice Approver');
    const publisher = await person('Paul Publisher');
    const policyId = await generate();
    const path = `/policies/${policyId}`;
    const draft = await exported(policyId, 'pdf');
    expect(draft).toContain('Not approved');
    expect(draft).toContain('Not published');

    expect((await ledger.request('POST', `${path}/submit`, { token: admin.accessToken, body: {} })).status).toBe(200);
    expect((await ledger.request('POST', `${path}/approve`, { token: approver.accessToken, body: {} })).status).toBe(
      200,
    );
    expect((await ledger.request('POST', `${path}/publish`, { token: publisher.accessToken, body: {} })).status).toBe(
      200,
    );
    const stamp = /on (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC/;
    const today = new Date().toISOString().slice(0, 10);
    const pdf = await exported(policyId, 'pdf');
    expect(pdf).toMatch(/Version 1 · status published · SHA-256 of the content [0-9a-f]{64}/);
    expect(pdf).toMatch(new RegExp(`Approved by Alice Approver ${stamp.source}`));
    expect(pdf).toMatch(new RegExp(`Published by Paul Publisher ${stamp.source}`));
    expect(pdf).toContain(today);

    expect(
      (await ledger.request('POST', `/users/${publisher.userId}/erase`, { token: admin.accessToken })).status,
    ).toBe(200);
    const afterErasure = await exported(policyId, 'pdf');
    expect(afterErasure).toContain('Approved by Alice Approver');
    expect(afterErasure).toMatch(new RegExp(`Published by \\[erased\\] ${stamp.source}`));
    expect(afterErasure).not.toContain('Paul Publisher');
  });

  it("keeps other tenants and other clients' users out", async () => {
    const policyId = await generate();
    const other = await ledger.signUp('other');
    expect(
      (await ledger.request('POST', `/policies/${policyId}/submit`, { token: other.accessToken, body: {} })).status,
    ).toBe(404);
    const key = createSecretKey(Buffer.from(ledger.config.JWT_SECRET!, 'utf8'));
    const otherClientOfficer = jwt.sign(
      { tid: admin.tenantId, role: 'compliance_officer', cid: randomUUID(), sid: randomUUID() },
      key,
      { subject: randomUUID(), expiresIn: 60 },
    );
    expect(
      (await ledger.request('POST', `/policies/${policyId}/approve`, { token: otherClientOfficer, body: {} })).status,
    ).toBe(404);
    const bad = await ledger.request('POST', '/policies/generate', {
      token: admin.accessToken,
      body: { clientId, frameworkId: 'iso-27001', companyContext: context },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ field: 'frameworkId' }] });
  });
});
