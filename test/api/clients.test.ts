import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../infrastructure/database/database.js';
import { needs, services } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(`client companies over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  const acme = { name: 'Acme Clinic', industry: 'healthcare', size: '11-50' };

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
  });
  afterAll(() => ledger?.close());

  async function eventsOf(type: string): Promise<number> {
    const database = await openDatabase({
      kind: 'postgres',
      url: services.databaseUrl!,
      schema: ledger.config.DATABASE_SCHEMA,
      poolSize: 1,
    });
    try {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from events where type = ${type}`.execute(
        database.db,
      );
      return rows[0]!.n;
    } finally {
      await database.close();
    }
  }

  /** An access token for another role in the same tenant, signed as the ledger signs them. */
  const tokenFor = (role: string, tenantId = admin.tenantId, clientId: string | null = null) =>
    ledger.tokenFor(tenantId, role, clientId);

  it('registers a client and answers with its id, position and ETag', async () => {
    const created = await ledger.request<{ data: { clientId: string }; meta: { position: string } }>(
      'POST',
      '/clients',
      { token: admin.accessToken, body: acme },
    );
    expect(created.status).toBe(201);
    expect(created.body.data.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.meta.position).toMatch(/^\d{20}-\d{20}$/);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('location')).toBe(`/api/v1/clients/${created.body.data.clientId}`);
  });

  it('replays an idempotent retry without appending, and refuses the key for another body', async () => {
    const before = await eventsOf('ClientRegistered');
    const key = randomUUID();
    const first = await ledger.request('POST', '/clients', {
      token: admin.accessToken,
      body: acme,
      headers: { 'Idempotency-Key': key },
    });
    const retry = await ledger.request('POST', '/clients', {
      token: admin.accessToken,
      body: acme,
      headers: { 'Idempotency-Key': key },
    });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('etag')).toBe('"1"');
    expect(await eventsOf('ClientRegistered')).toBe(before + 1);

    const other = await ledger.request('POST', '/clients', {
      token: admin.accessToken,
      body: { ...acme, name: 'Other' },
      headers: { 'Idempotency-Key': key },
    });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({
      type: expect.stringMatching(/idempotency-key-reused$/),
      errors: [{ field: 'Idempotency-Key' }],
    });
    expect(await eventsOf('ClientRegistered')).toBe(before + 1);
  });

  it('updates with If-Match, refuses a stale one with 412, and archives', async () => {
    const { body } = await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
      token: admin.accessToken,
      body: acme,
    });
    const path = `/clients/${body.data.clientId}`;
    const updated = await ledger.request('PUT', path, {
      token: admin.accessToken,
      body: { size: '51-200' },
      headers: { 'If-Match': '"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('"2"');
    const stale = await ledger.request('PUT', path, {
      token: admin.accessToken,
      body: { size: '1-10' },
      headers: { 'If-Match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ type: expect.stringMatching(/precondition-failed$/) });

    const archived = await ledger.request('DELETE', path, { token: admin.accessToken, headers: { 'If-Match': '"2"' } });
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ data: { clientId: body.data.clientId, status: 'archived' } });
    expect((await ledger.request('PUT', path, { token: admin.accessToken, body: { name: 'Too late' } })).status).toBe(
      410,
    );
    // The read model says when.
    const read = await ledger.request<{ data: { status: string; archivedAt: string | null } }>('GET', path, {
      token: admin.accessToken,
      headers: { 'X-Min-Position': (archived.body as { meta: { position: string } }).meta.position },
    });
    expect(read.body.data).toMatchObject({ status: 'archived', archivedAt: expect.stringMatching(/^\d{4}-/) });
  });

  it('checks the permission of every route', async () => {
    expect((await ledger.request('POST', '/clients', { body: acme })).status).toBe(401);
    const auditor = await ledger.request('POST', '/clients', { token: tokenFor('auditor'), body: acme });
    expect(auditor.status).toBe(403);
    expect(auditor.body).toMatchObject({
      type: expect.stringMatching(/forbidden$/),
      detail: expect.stringContaining('client:write'),
    });
  });

  it("answers 404 for another tenant's client, so that its existence does not leak", async () => {
    const { body } = await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
      token: admin.accessToken,
      body: acme,
    });
    const other = await ledger.signUp('other');
    const attempt = await ledger.request('PUT', `/clients/${body.data.clientId}`, {
      token: other.accessToken,
      body: { name: 'Mine now' },
    });
    expect(attempt.status).toBe(404);
    const missing = await ledger.request('PUT', `/clients/${randomUUID()}`, {
      token: other.accessToken,
      body: { name: 'Nobody' },
    });
    expect(missing.status).toBe(404);
    expect(attempt.body).toEqual(missing.body);
  });

  it('rejects unknown fields, bad values and malformed ids with the fields named', async () => {
    const bad = await ledger.request('POST', '/clients', {
      token: admin.accessToken,
      body: { ...acme, size: 'huge', color: 'red' },
    });
    expect(bad.status).toBe(400);
    expect((bad.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort()).toEqual([
      'color',
      'size',
    ]);
    expect(
      (await ledger.request('PUT', '/clients/not-a-uuid', { token: admin.accessToken, body: { name: 'x' } })).status,
    ).toBe(400);
    expect(
      (
        await ledger.request('PUT', `/clients/${randomUUID()}`, {
          token: admin.accessToken,
          body: {},
          headers: { 'If-Match': 'yesterday' },
        })
      ).status,
    ).toBe(400);
  });
});
