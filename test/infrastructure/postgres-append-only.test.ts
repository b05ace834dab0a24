import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../infrastructure/database/database.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { needs, openTestDatabase } from '../support/services.js';

const postgres = needs('postgres');

describe.skipIf(postgres.skip)(`PostgreSQL events table is append-only${postgres.title}`, () => {
  let database: Database & { drop(): Promise<void> };
  let streamId: string;

  beforeAll(async () => {
    database = await openTestDatabase('ao');
    const tenantId = randomUUID();
    streamId = `${tenantId}/thing/1`;
    await new PostgresEventStore(database).append(streamId, [
      { type: 'Happened', data: { n: 1 }, metadata: { tenantId, actorId: 'a', correlationId: 'c' } },
    ]);
  });
  afterAll(() => database?.drop());

  it.each([
    ['UPDATE', sql`update events set data = '{"n":2}'::jsonb`],
    ['DELETE', sql`delete from events`],
    ['TRUNCATE', sql`truncate events`],
  ])('rejects %s even for the table owner', async (operation, statement) => {
    await expect(statement.execute(database.db)).rejects.toThrow(
      new RegExp(`append-only: ${operation} is not allowed`),
    );
    const { rows } = await sql<{
      n: number;
    }>`select (data->>'n')::int as n from events where stream_id = ${streamId}`.execute(database.db);
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('gives the application role INSERT and SELECT but no UPDATE or DELETE', async () => {
    const { rows } = await sql<{ privilege: string }>`
      select privilege_type as privilege from information_schema.role_table_grants
      where grantee = 'ledger_app' and table_schema = ${database.schema} and table_name = 'events' order by 1`.execute(
      database.db,
    );
    expect(rows.map((r) => r.privilege)).toEqual(['INSERT', 'SELECT']);
    await expect(
      database.db.transaction().execute(async (trx) => {
        await sql`set local role ledger_app`.execute(trx);
        await sql`update events set data = '{}'::jsonb`.execute(trx);
      }),
    ).rejects.toThrow(/permission denied/);
  });
});
