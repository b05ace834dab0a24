/**
 * Row-level security as the database enforces it, below every route: the query side's role (ledger_app) sees one
 * tenant's one client whatever its query forgets, cannot write, and cannot widen what it sees.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { openDatabase } from '../../infrastructure/database/database.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_MODEL_SCOPING } from '../../migrations/0015_read_model_roles.js';
import { needs, services } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { populatedTenant, type PopulatedTenant } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(`row-level security of the read models${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let a: PopulatedTenant;
  let b: PopulatedTenant;

  beforeAll(async () => {
    ledger = await startTestLedger();
    a = await populatedTenant(ledger, 'Alpha');
    b = await populatedTenant(ledger, 'Bravo');
    // The read models have caught up with everything both tenants did.
    const last = await ledger.request<{ meta: { position: string } }>('POST', '/clients', {
      token: b.admin.accessToken,
      body: { name: 'Bravo Last', industry: 'x', size: '1-10' },
    });
    for (const path of ['/clients', '/policies', '/assessments', '/evidence', '/violations', '/users', '/audit']) {
      const read = await ledger.request('GET', path, {
        token: b.admin.accessToken,
        headers: { 'X-Min-Position': last.body.meta.position },
      });
      expect(read.status, path).toBe(200);
    }
  });
  afterAll(() => ledger?.close());

  /** Runs `query` as the query side's role, with whatever settings the test gives (or none). */
  const asReader = <T>(settings: Record<string, string>, query: (db: Transaction<unknown>) => Promise<T>) =>
    ledger.sql((db) =>
      db.transaction().execute(async (trx) => {
        await sql`set local role ledger_app`.execute(trx);
        for (const [name, value] of Object.entries(settings))
          await sql`select set_config(${name}, ${value}, true)`.execute(trx);
        return query(trx);
      }),
    );
  const everyRow = (db: Transaction<unknown>, table: string) =>
    sql<{ tenant_id: string; client_id?: string | null }>`select * from ${sql.table(table)}`
      .execute(db)
      .then((r) => r.rows);

  it('sees nothing in a transaction that sets no tenant', async () => {
    for (const table of Object.keys(READ_MODEL_SCOPING)) {
      expect(await asReader({}, (db) => everyRow(db, table)), table).toEqual([]);
      expect(await asReader({ 'app.tenant_id': a.admin.tenantId }, (db) => everyRow(db, table)), table).toEqual([]);
    }
  });

  it("keeps an MSP-wide reader to its tenant, and app.projection = 'on' no longer widens it", async () => {
    const variants: Array<Record<string, string>> = [{}, { 'app.projection': 'on' }];
    for (const settings of variants) {
      const scope = { ...settings, 'app.tenant_id': a.admin.tenantId, 'app.client_id': '*' };
      for (const table of Object.keys(READ_MODEL_SCOPING)) {
        const rows = await asReader(scope, (db) => everyRow(db, table));
        expect(new Set(rows.map((row) => row.tenant_id)), table).toEqual(
          rows.length ? new Set([a.admin.tenantId]) : new Set(),
        );
      }
      const clients: unknown[] = await asReader(scope, (db) => everyRow(db, 'clients'));
      expect(clients.length).toBe(2);
    }
  });

  it("keeps a client-scoped reader to its client's rows in every read model, even with no WHERE clause", async () => {
    const scope = { 'app.tenant_id': a.admin.tenantId, 'app.client_id': a.clientId };
    const seen = async (table: string) => asReader(scope, (db) => everyRow(db, table));
    for (const [table, scoping] of Object.entries(READ_MODEL_SCOPING)) {
      const rows = await seen(table);
      if (scoping.kind === 'column')
        expect(
          rows.every((row) => row.client_id === a.clientId),
          table,
        ).toBe(true);
      if (scoping.kind === 'msp-only') expect(rows, table).toEqual([]);
    }
    // Child rows follow their parent's client.
    expect((await seen('policy_versions')).length).toBeGreaterThan(0);
    const otherClientPolicy = await ledger.request<{ data: { policyId: string }; meta: { position: string } }>(
      'POST',
      '/policies/generate',
      {
        token: a.admin.accessToken,
        body: {
          clientId: a.otherClientId,
          frameworkId: 'soc2',
          companyContext: {
            name: 'Agency',
            industry: 'x',
            size: '1-10',
            dataTypes: [],
            aiTools: [],
            jurisdictions: [],
          },
        },
      },
    );
    const otherPolicyId = otherClientPolicy.body.data.policyId;
    await ledger.request('GET', `/policies/${otherPolicyId}`, {
      token: a.admin.accessToken,
      headers: { 'X-Min-Position': otherClientPolicy.body.meta.position },
    });
    const mspVersions = await asReader({ 'app.tenant_id': a.admin.tenantId, 'app.client_id': '*' }, (db) =>
      everyRow(db, 'policy_versions'),
    );
    expect(mspVersions.some((row) => (row as { policy_id?: string }).policy_id === otherPolicyId)).toBe(true);
    const versions = await seen('policy_versions');
    expect(versions.some((row) => (row as { policy_id?: string }).policy_id === otherPolicyId)).toBe(false);
    // The AI service registry is the MSP's, and shared with its clients' people.
    expect((await seen('ai_services')).length).toBe(1);
  });

  it('cannot write, and a login of the query side cannot take the projections’ role', async () => {
    // As production runs it: the query side logs in as a role that is a member of ledger_app only.
    const login = `reader_${randomBytes(4).toString('hex')}`;
    const url = new URL(services.databaseUrl!);
    await ledger.sql((db) => sql`create role ${sql.id(login)} login in role ledger_app`.execute(db));
    url.username = login;
    url.password = '';
    const reader = await openDatabase({
      kind: 'postgres',
      url: url.toString(),
      schema: ledger.config.DATABASE_SCHEMA,
      poolSize: 1,
    });
    /** Runs statements in one transaction of that login, reading as the query side does; answers the last one's rows. */
    const run = (...statements: string[]) =>
      reader.db.transaction().execute(async (trx) => {
        await sql`set local role ledger_app`.execute(trx);
        await sql`select set_config('app.tenant_id', ${a.admin.tenantId}, true), set_config('app.client_id', '*', true)`.execute(
          trx,
        );
        let result: { rows: Array<{ tenant_id: string }> } = { rows: [] };
        for (const statement of statements) result = await sql.raw<{ tenant_id: string }>(statement).execute(trx);
        return result;
      });
    try {
      await expect(run(`update clients set name = 'taken'`)).rejects.toThrow(/permission denied/);
      await expect(run('delete from violations')).rejects.toThrow(/permission denied/);
      await expect(run('set local role ledger_projector')).rejects.toThrow(/permission denied/);
      await expect(run('reset role', 'select 1')).resolves.toBeDefined();
      const widened = await run(`select set_config('app.projection', 'on', true)`, 'select tenant_id from clients');
      expect(new Set(widened.rows.map((row) => row.tenant_id))).toEqual(new Set([a.admin.tenantId]));
      // Its own role, reset to, is ledger_app's member: under the same policies.
      const reset = await run('reset role', 'select tenant_id from clients');
      expect(new Set(reset.rows.map((row) => row.tenant_id))).toEqual(new Set([a.admin.tenantId]));
    } finally {
      await reader.close();
      await ledger.sql((db) => sql`drop role ${sql.id(login)}`.execute(db));
    }
  });
});
