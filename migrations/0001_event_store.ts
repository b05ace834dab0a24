import { sql, type Kysely } from 'kysely';

/**
 * The PostgreSQL event store.
 *
 * Global order is (transaction_id, global_position): a row is stamped with the id of the transaction that wrote it,
 * and readers only look at rows whose transaction id is below the oldest transaction still running. A sequence alone
 * is not enough: a transaction that took number 7 can commit after another one that took 8, and a reader that had
 * already checkpointed 8 would never see 7.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table streams (
      stream_id text primary key,
      tenant_id text not null,
      revision bigint not null,
      last_hash text not null
    )`.execute(db);

  await sql`
    create table events (
      transaction_id xid8 not null default pg_current_xact_id(),
      global_position bigint generated always as identity,
      event_id uuid not null,
      stream_id text not null,
      stream_revision bigint not null,
      tenant_id text not null,
      type text not null,
      schema_version integer not null,
      data jsonb not null,
      metadata jsonb not null,
      recorded_at timestamptz not null,
      primary key (transaction_id, global_position),
      constraint events_event_id_unique unique (event_id),
      constraint events_stream_revision_unique unique (stream_id, stream_revision)
    )`.execute(db);
  await sql`create index events_tenant_order on events (tenant_id, transaction_id, global_position)`.execute(db);
  await sql`create index events_type_order on events (type, transaction_id, global_position)`.execute(db);

  // Append-only, for everyone: the table owner included. Verifying the hash chain is the second line of defence.
  await sql`
    create function events_reject_change() returns trigger language plpgsql as $$
    begin
      raise exception 'events are append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`
    create trigger events_append_only before update or delete on events
    for each row execute function events_reject_change()`.execute(db);
  await sql`
    create trigger events_no_truncate before truncate on events
    for each statement execute function events_reject_change()`.execute(db);

  // Subscribers LISTEN on 'ledger_events_<schema>'. The store sends that NOTIFY itself after its appends commit,
  // not from a trigger: a NOTIFY inside the writing transaction holds a cluster-wide lock through the commit, which
  // serialises concurrent writers (measured: bench/append.ts).

  // The role the applications run as may read and append, never change or remove an event.
  await sql`
    do $$ begin
      create role ledger_app nologin;
    exception when duplicate_object or unique_violation then null;
    end $$`.execute(db);
  await sql`revoke all on events from public`.execute(db);
  await sql`grant usage on schema ${sql.id(await currentSchema(db))} to ledger_app`.execute(db);
  await sql`grant select, insert on events to ledger_app`.execute(db);
  await sql`grant select, insert, update on streams to ledger_app`.execute(db);
}

async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]!.schema;
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table events`.execute(db);
  await sql`drop table streams`.execute(db);
  await sql`drop function events_reject_change()`.execute(db);
}
