import { createSecretKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

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
