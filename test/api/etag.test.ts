import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Problem {
  type: string;
  detail: string;
  currentETag?: string | null;
  errors?: Array<{ field: string; message: string }>;
}

describe.skipIf(skip)(`strong ETags and If-Match over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  const acme = { name: 'Acme Clinic', industry: 'healthcare', size: '11-50' };

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
  });
  afterAll(() => ledger?.close());

  const newClient = async () => {
    const created = await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
      token: admin.accessToken,
      body: acme,
    });
    expect(created.status).toBe(201);
    return { clientId: created.body.data.clientId, etag: created.headers.get('etag') };
  };

  it('answers one strong ETag per resource from its GET and its commands, and If-Match takes it', async () => {
    const { clientId, etag } = await newClient();
    expect(etag).toBe('"1"');
    const path = `/clients/${clientId}`;
    const read = await ledger.request('GET', path, { token: admin.accessToken });
    expect(read.status).toBe(200);
    // Strong (no W/), and the very one the command answered.
    expect(read.headers.get('etag')).toBe(etag);

    const updated = await ledger.request('PUT', path, {
      token: admin.accessToken,
      body: { size: '51-200' },
      headers: { 'If-Match': read.headers.get('etag')! },
    });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('"2"');
    const again = await ledger.request<{ data: { size: string } }>('GET', path, { token: admin.accessToken });
    expect(again.body.data.size).toBe('51-200');
    expect(again.headers.get('etag')).toBe(updated.headers.get('etag'));
    // A read of the past is history: nothing to send If-Match from.
    const past = await ledger.request('GET', `${path}?asOf=${encodeURIComponent(new Date().toISOString())}`, {
      token: admin.accessToken,
    });
    expect(past.status).toBe(200);
    expect(past.headers.get('etag')).toBeNull();
  });

  it('refuses a stale If-Match with a 412 that names the current ETag, the one a GET answers', async () => {
    const { clientId, etag } = await newClient();
    const path = `/clients/${clientId}`;
    expect(
      (
        await ledger.request('PUT', path, {
          token: admin.accessToken,
          body: { name: 'Acme Health' },
          headers: { 'If-Match': etag! },
        })
      ).status,
    ).toBe(200);
    const stale = await ledger.request<Problem>('PUT', path, {
      token: admin.accessToken,
      body: { size: '1-10' },
      headers: { 'If-Match': etag! },
    });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(stale.body).toMatchObject({
      type: expect.stringMatching(/precondition-failed$/),
      currentETag: '"2"',
      errors: [{ field: 'If-Match', message: 'the current ETag is "2"' }],
    });
    expect(stale.body.detail).toContain('If-Match: "2"');
    expect(stale.headers.get('etag')).toBe('"2"');
    // Reading again gives exactly that value, and it is accepted.
    const read = await ledger.request('GET', path, { token: admin.accessToken });
    expect(read.headers.get('etag')).toBe(stale.body.currentETag);
    const retried = await ledger.request('PUT', path, {
      token: admin.accessToken,
      body: { size: '1-10' },
      headers: { 'If-Match': read.headers.get('etag')! },
    });
    expect(retried.status).toBe(200);
  });

  it('compares strongly: a weak tag never matches; a list matches any of its tags; * needs the resource', async () => {
    const { clientId } = await newClient();
    const path = `/clients/${clientId}`;
    const weak = await ledger.request<Problem>('PUT', path, {
      token: admin.accessToken,
      body: { size: '1-10' },
      headers: { 'If-Match': 'W/"1"' },
    });
    expect(weak.status).toBe(412);
    expect(weak.body.detail).toMatch(/weak/);
    const listed = await ledger.request('PUT', path, {
      token: admin.accessToken,
      body: { size: '1-10' },
      headers: { 'If-Match': '"7", "1"' },
    });
    expect(listed.status).toBe(200);
    const any = await ledger.request('PUT', path, {
      token: admin.accessToken,
      body: { size: '11-50' },
      headers: { 'If-Match': '*' },
    });
    expect(any.status).toBe(200);
    const malformed = await ledger.request<Problem>('PUT', path, {
      token: admin.accessToken,
      body: { size: '11-50' },
      headers: { 'If-Match': '3' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toEqual([{ field: 'If-Match', message: expect.stringMatching(/quotes included/) }]);
  });

  it('counts like policy versions: a new policy is version 1 at ETag "1"', async () => {
    const { clientId } = await newClient();
    const generated = await ledger.request<{ data: { policyId: string; version: number } }>(
      'POST',
      '/policies/generate',
      {
        token: admin.accessToken,
        body: {
          clientId,
          frameworkId: 'hipaa',
          companyContext: {
            ...acme,
            dataTypes: ['phi'],
            aiTools: ['ChatGPT Enterprise'],
            jurisdictions: ['US'],
          },
        },
      },
    );
    expect(generated.status).toBe(201);
    expect(generated.body.data.version).toBe(1);
    expect(generated.headers.get('etag')).toBe('"1"');
    const read = await ledger.request('GET', `/policies/${generated.body.data.policyId}`, {
      token: admin.accessToken,
    });
    expect(read.headers.get('etag')).toBe('"1"');
    const submitted = await ledger.request('POST', `/policies/${generated.body.data.policyId}/submit`, {
      token: admin.accessToken,
      body: {},
      headers: { 'If-Match': '"1"' },
    });
    expect(submitted.status).toBe(200);
    expect(submitted.headers.get('etag')).toBe('"2"');
  });

  it('says nothing of what a caller cannot see, and gives no weak ETags anywhere', async () => {
    const { clientId } = await newClient();
    const other = await newClient();
    const stranger = ledger.tokenFor(admin.tenantId, 'client_admin', other.clientId);
    const hidden = await ledger.request('GET', `/clients/${clientId}`, { token: stranger });
    expect(hidden.status).toBe(404);
    expect(hidden.headers.get('etag')).toBeNull();
    const missing = await ledger.request('GET', `/clients/${randomUUID()}`, { token: admin.accessToken });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
    // Lists and the document carry no ETag of Express's (a weak hash If-Match would refuse).
    const list = await ledger.request('GET', '/clients', { token: admin.accessToken });
    expect(list.headers.get('etag')).toBeNull();
    const document = await fetch(`${ledger.url}/openapi.json`);
    expect(document.headers.get('etag')).toBeNull();
  });

  it('documents the ETag of every resource GET and If-Match command, and the 412 that names it', async () => {
    const document = (await (await fetch(`${ledger.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters: Array<{ name: string; description?: string }>;
            responses: Record<string, { headers?: Record<string, unknown> }>;
          }
        >
      >;
    };
    for (const path of ['/clients/{id}', '/users/{id}', '/policies/{id}', '/assessments/{id}', '/evidence/{id}']) {
      expect(document.paths[`/api/v1${path}`]!.get!.responses['200']!.headers, path).toHaveProperty('ETag');
    }
    const update = document.paths['/api/v1/clients/{id}']!.put!;
    expect(update.responses['200']!.headers).toHaveProperty('ETag');
    expect(update.responses['412']!.headers).toHaveProperty('ETag');
    expect(update.parameters.find((p) => p.name === 'If-Match')?.description).toMatch(/strong|weak/);
  });
});
