import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparePositions, START, type Position } from '../../infrastructure/event-store/position.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import type { NewEvent } from '../../infrastructure/event-store/types.js';
import { createLogger } from '../../infrastructure/logging/logger.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { auditLogProjection } from '../../projections/read-models/audit-log.js';
import { clientsProjection } from '../../projections/read-models/clients.js';
import { usersProjection } from '../../projections/read-models/users.js';
import { rebuildProjection, rebuildProjections } from '../../projections/rebuild.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { checkpointName } from '../../projections/projection.js';
import { readCheckpoint } from '../../infrastructure/checkpoints/checkpoints.js';
import { eventually } from '../contract/message-bus.contract.js';
import { needs, openTestDatabase, services } from '../support/services.js';

const skip = needs('postgres').skip;
const logger = createLogger({ level: 'silent', format: 'json' });
const meta = (tenantId: string) => ({ tenantId, actorId: 'u-1', correlationId: 'c-1', ip: '203.0.113.9' });
const registered = (clientId: string, name: string): NewEvent => ({
  type: 'ClientRegistered',
  data: { clientId, name, industry: 'health', size: '1-10', frameworks: ['hipaa'] },
  metadata: meta(''),
});

describe.skipIf(skip)(`projections${skip ? ' (skipped: no postgres)' : ''}`, () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: PostgresEventStore;
  const tenantA = randomUUID();
  const tenantB = randomUUID();

  let appended: Position = START;
  const append = async (tenantId: string, stream: string, events: NewEvent[]) => {
    const result = await store.append(
      `${tenantId}/${stream}`,
      events.map((e) => ({ ...e, metadata: meta(tenantId) })),
    );
    if (comparePositions(result.position, appended) > 0) appended = result.position;
    return result;
  };
  /**
   * The head of the log once every event appended here is visible. Readers see an event only when every transaction
   * older than it has ended, anywhere on the server: another test file's can hold it back for a moment.
   */
  const settledHead = async (): Promise<Position> => {
    await eventually(
      async () => comparePositions(await store.headPosition(), appended) >= 0,
      'the appended events to become visible',
      30_000,
    );
    return store.headPosition();
  };
  const rows = (table: string) =>
    sql<Record<string, unknown>>`select * from ${sql.table(table)} order by 1, 2`
      .execute(database.db)
      .then((r) => r.rows);

  beforeAll(async () => {
    database = await openTestDatabase('proj');
    store = new PostgresEventStore(database);
  });
  afterAll(() => database?.drop());

  it('given client events, then rows: registered, updated, archived', async () => {
    const [c1, c2] = [randomUUID(), randomUUID()];
    await append(tenantA, `client/${c1}`, [
      registered(c1, 'Acme'),
      { type: 'ClientUpdated', data: { name: 'Acme Health', frameworks: ['gdpr', 'hipaa'] }, metadata: meta('') },
    ]);
    await append(tenantB, `client/${c2}`, [
      registered(c2, 'Beta'),
      { type: 'ClientArchived', data: { reason: null }, metadata: meta('') },
    ]);
    const runner = new ProjectionRunner({ eventStore: store, database, projection: clientsProjection, logger });
    await runner.start();
    await eventually(async () => (await rows('clients')).length === 2, 'two client rows');
    await eventually(async () => (await rows('clients')).some((r) => r.name === 'Acme Health'), 'the update applied');
    await runner.stop();
    const byId = Object.fromEntries((await rows('clients')).map((r) => [r.client_id, r]));
    expect(byId[c1]).toMatchObject({
      tenant_id: tenantA,
      name: 'Acme Health',
      industry: 'health',
      frameworks: ['gdpr', 'hipaa'],
      status: 'active',
    });
    expect(byId[c2]).toMatchObject({ tenant_id: tenantB, name: 'Beta', status: 'archived' });
  });

  it('given user events, then rows: registered and verified, invited, accepted, role changed, erased', async () => {
    const [owner, invitee] = [randomUUID(), randomUUID()];
    const sealed = (text: string) => ({ $pii: 'v1', subject: invitee, box: Buffer.from(text).toString('base64') });
    await append(tenantA, `user/${owner}`, [
      {
        type: 'UserRegistered',
        data: {
          userId: owner,
          tenantId: tenantA,
          email: 'owner@a.example',
          name: 'Owner',
          passwordHash: 'h',
          role: 'msp_admin',
          clientId: null,
        },
        metadata: meta(''),
      },
      { type: 'EmailVerified', data: { verifiedAt: '2026-01-01T00:00:00Z' }, metadata: meta('') },
    ]);
    await append(tenantA, `user/${invitee}`, [
      {
        type: 'UserInvited',
        data: {
          userId: invitee,
          tenantId: tenantA,
          email: sealed('new@a.example'),
          role: 'auditor',
          clientId: null,
          invitedBy: owner,
        },
        metadata: meta(''),
      },
      {
        type: 'InvitationAccepted',
        data: { userId: invitee, name: sealed('Nia'), passwordHash: 'h', acceptedAt: '2026-01-02T00:00:00Z' },
        metadata: meta(''),
      },
      { type: 'UserRoleChanged', data: { role: 'msp_analyst', clientId: null, changedBy: owner }, metadata: meta('') },
    ]);
    const runner = new ProjectionRunner({ eventStore: store, database, projection: usersProjection, logger });
    await runner.start();
    await eventually(
      async () => (await rows('users')).some((r) => r.role === 'msp_analyst'),
      'the role change applied',
    );
    const byId = Object.fromEntries((await rows('users')).map((r) => [r.user_id, r]));
    expect(byId[owner]).toMatchObject({
      tenant_id: tenantA,
      email: 'owner@a.example',
      name: 'Owner',
      role: 'msp_admin',
      status: 'active',
      email_verified: true,
    });
    // Personal data stays sealed in the read model, as it is in the events.
    expect(byId[invitee]).toMatchObject({
      email: sealed('new@a.example'),
      name: sealed('Nia'),
      role: 'msp_analyst',
      status: 'active',
      email_verified: true,
    });
    await append(tenantA, `user/${invitee}`, [{ type: 'UserErased', data: { erasedBy: owner }, metadata: meta('') }]);
    await eventually(
      async () => (await rows('users')).some((r) => r.user_id === invitee && r.status === 'erased'),
      'the erasure applied',
    );
    await runner.stop();
    expect((await rows('users')).find((r) => r.user_id === invitee)).toMatchObject({
      email: null,
      name: null,
      status: 'erased',
    });
  });

  it('keeps each tenant to its rows even for a query with no WHERE clause', async () => {
    const seen = await asTenant(database.db, { tenantId: tenantA, clientId: null }, (trx) =>
      sql<{ tenant_id: string }>`select tenant_id from clients`.execute(trx),
    );
    expect(seen.rows.length).toBeGreaterThan(0);
    expect(new Set(seen.rows.map((r) => r.tenant_id))).toEqual(new Set([tenantA]));
    const none = await asTenant(database.db, { tenantId: randomUUID(), clientId: null }, (trx) =>
      sql`select * from clients`.execute(trx),
    );
    expect(none.rows).toEqual([]);
    // Nor can a tenant write another's rows.
    await expect(
      asTenant(database.db, { tenantId: tenantA, clientId: null }, (trx) =>
        sql`insert into clients (tenant_id, client_id, name, industry, size, status, created_at, updated_at) values (${tenantB}, 'x', 'x', 'x', 'x', 'active', now(), now())`.execute(
          trx,
        ),
      ),
    ).rejects.toThrow(/row-level security|permission denied/);
  });

  it('rebuilds into shadow tables while reads go on, and swaps in the same rows', async () => {
    for (let i = 0; i < 40; i++) {
      const id = randomUUID();
      await append(tenantA, `client/${id}`, [registered(id, `Client ${i}`)]);
    }
    const runner = new ProjectionRunner({ eventStore: store, database, projection: clientsProjection, logger });
    await runner.start();
    const head = await settledHead();
    await eventually(
      async () => (await readCheckpoint(database.db, checkpointName(clientsProjection))) === head,
      'the runner to catch up',
    );
    const before = await rows('clients');
    const counts: number[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const { rows: r } = await asTenant(database.db, { tenantId: tenantA, clientId: null }, (trx) =>
          sql<{ n: number }>`select count(*)::int as n from clients`.execute(trx),
        );
        counts.push(r[0]!.n);
      }
    })();
    const result = await rebuildProjection({ projection: clientsProjection, eventStore: store, database, logger });
    reading = false;
    await reader;
    expect(result.applied).toBeGreaterThanOrEqual(42);
    expect(await rows('clients')).toEqual(before);
    // Every read during the rebuild saw the whole table: never an empty or half-filled one.
    expect(counts.length).toBeGreaterThan(0);
    expect(new Set(counts)).toEqual(new Set([before.filter((r) => r.tenant_id === tenantA).length]));
    // The swapped-in table still has row-level security.
    const other = await asTenant(database.db, { tenantId: tenantB, clientId: null }, (trx) =>
      sql<{ tenant_id: string }>`select tenant_id from clients`.execute(trx),
    );
    expect(other.rows.every((r) => r.tenant_id === tenantB)).toBe(true);
    // The live runner goes on after the swap without applying anything twice.
    const late = randomUUID();
    await append(tenantA, `client/${late}`, [registered(late, 'Late')]);
    await eventually(
      async () => (await rows('clients')).some((r) => r.client_id === late),
      'the runner to apply a new event after the swap',
    );
    await runner.stop();
  });

  it('rebuilds several projections in one pass, and one of them again afterwards, each ending at the head', async () => {
    const id = randomUUID();
    await append(tenantA, `client/${id}`, [registered(id, 'Last client')]);
    await append(tenantA, `thing/${randomUUID()}`, [{ type: 'SomethingElse', data: {}, metadata: meta('') }]); // read by the audit log only
    const head = await settledHead();
    // The shadows are filled without their secondary indexes, which are built before the swap: the same ones.
    const indexes = async (table: string) =>
      (
        await sql<{ definition: string }>`
          select regexp_replace(pg_get_indexdef(indexrelid), '^.* USING ', '') as definition, indisunique as unique
          from pg_index where indrelid = ${table}::regclass order by 1`.execute(database.db)
      ).rows;
    const before = { clients: await indexes('clients'), audit: await indexes('audit_log') };
    expect(before.audit.length).toBeGreaterThan(2);
    const results = await rebuildProjections({
      projections: [clientsProjection, auditLogProjection],
      eventStore: store,
      database,
      logger,
    });
    expect({ clients: await indexes('clients'), audit: await indexes('audit_log') }).toEqual(before);
    expect(results.map((r) => [r.projection, r.position])).toEqual([
      ['clients', head],
      ['audit-log', head],
    ]);
    // The clients checkpoint now stands on an event it does not read; rebuilding it alone must still finish.
    const again = await rebuildProjection({ projection: clientsProjection, eventStore: store, database, logger });
    expect(again.position).toBe(head);
    expect(await readCheckpoint(database.db, checkpointName(clientsProjection))).toBe(head);
    expect((await rows('clients')).some((r) => r.client_id === id)).toBe(true);
  });

  it("drops shadow tables a crashed rebuild left behind a day ago, and leaves a running rebuild's alone", async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = `clients__rb_${(now - 2 * 86_400).toString(36)}_abc`;
    const running = `clients__rb_${(now - 60).toString(36)}_def`;
    for (const name of [stale, running])
      await sql`create table ${sql.table(name)} (like clients including all)`.execute(database.db);
    await rebuildProjection({ projection: clientsProjection, eventStore: store, database, logger });
    const { rows: left } = await sql<{
      name: string;
    }>`select tablename as name from pg_tables where schemaname = current_schema() and tablename like 'clients%'`.execute(
      database.db,
    );
    expect(left.map((r) => r.name).sort()).toEqual(['clients', running]);
    await sql`drop table ${sql.table(running)}`.execute(database.db);
  });

  it('rebuilds a projection whose version changed, on start, without a manual step', async () => {
    const v2 = { ...auditLogProjection, version: 99 };
    const runner = new ProjectionRunner({ eventStore: store, database, projection: v2, logger });
    const head = await settledHead();
    await runner.start();
    expect(await readCheckpoint(database.db, checkpointName(v2))).toBe(head);
    expect((await rows('audit_log')).length).toBe(await store.countEvents());
    await runner.stop();
  });

  it('after kill -9 mid-batch and a restart, holds exactly what a clean rebuild holds', async () => {
    // Both projections have run before, so the process below works in batches from a checkpoint.
    for (const projection of [auditLogProjection, clientsProjection]) {
      const runner = new ProjectionRunner({ eventStore: store, database, projection, logger });
      await runner.start();
      await runner.stop();
    }
    for (let t = 0; t < 30; t++) {
      await append(
        tenantA,
        `client/${randomUUID()}`,
        Array.from({ length: 100 }, (_, i) =>
          i === 0
            ? registered(randomUUID(), `Bulk ${t}`)
            : { type: 'ClientUpdated', data: { industry: `industry ${t}-${i}` }, metadata: meta(tenantA) },
        ),
      );
    }
    const env = {
      ...process.env,
      DATABASE_URL: services.databaseUrl!,
      DATABASE_SCHEMA: database.schema,
      DATA_DIR: '/tmp/ledger-crash-test',
      LOG_LEVEL: 'silent',
    };
    const head = await settledHead();
    const audit = checkpointName(auditLogProjection);
    // First run: killed as soon as it has made some progress, in the middle of its work.
    const first = spawn(process.execPath, ['--import', 'tsx', 'projections/cli.ts', 'run', '--batch-size', '40'], {
      env,
      stdio: 'ignore',
      detached: true,
    });
    const startPosition = await readCheckpoint(database.db, audit);
    await eventually(
      async () => {
        const now = await readCheckpoint(database.db, audit);
        return now !== null && now !== startPosition && now !== head;
      },
      'the audit log projection to be part way',
      60_000,
    );
    process.kill(-first.pid!, 'SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect(await readCheckpoint(database.db, audit)).not.toBe(head);
    // Restarted, it catches up.
    const second = spawn(process.execPath, ['--import', 'tsx', 'projections/cli.ts', 'run', '--batch-size', '40'], {
      env,
      stdio: 'ignore',
      detached: true,
    });
    await eventually(
      async () =>
        (await readCheckpoint(database.db, audit)) === head &&
        (await readCheckpoint(database.db, checkpointName(clientsProjection))) === head,
      'the restarted projections to catch up',
      90_000,
    );
    process.kill(-second.pid!, 'SIGTERM');
    await new Promise((resolve) => second.once('exit', resolve));
    const afterCrash = { audit: await rows('audit_log'), clients: await rows('clients') };
    // A clean rebuild through the CLI, with its progress output.
    const output = await new Promise<string>((resolve, reject) => {
      const rebuild = spawn(
        process.execPath,
        ['--import', 'tsx', 'projections/cli.ts', 'rebuild', 'audit-log', 'clients'],
        { env },
      );
      let text = '';
      rebuild.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      rebuild.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      rebuild.once('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`rebuild exited ${code}: ${text}`)),
      );
    });
    expect(output).toMatch(/^\d+ events in [\d.]+ s \(\d+ events\/s\)$/m);
    expect(output).toMatch(/^audit-log: swapped in at \d{20}-\d{20}$/m);
    expect(output).toMatch(/^clients: swapped in at \d{20}-\d{20}$/m);
    expect(output).toMatch(/events\/s \| ETA/);
    expect(await rows('audit_log')).toEqual(afterCrash.audit);
    expect(await rows('clients')).toEqual(afterCrash.clients);
    expect(afterCrash.audit.length).toBe(await store.countEvents());
  }, 240_000);
});
