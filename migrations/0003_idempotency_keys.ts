import { sql, type Kysely } from 'kysely';

/**
 * Idempotency-Key: the first response to a (scope, key) is kept for a day and replayed to retries; a retry with
 * another body is refused. A row is inserted before the command runs, so concurrent retries cannot both append.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table idempotency_keys (
      scope text not null,
      key text not null,
      request_hash text not null,
      status integer,
      response jsonb,
      headers jsonb,
      created_at timestamptz not null default now(),
      primary key (scope, key)
    )`.execute(db);
  await sql`create index idempotency_keys_created on idempotency_keys (created_at)`.execute(db);
  await sql`grant select, insert, update, delete on idempotency_keys to ledger_app`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table idempotency_keys`.execute(db);
}
