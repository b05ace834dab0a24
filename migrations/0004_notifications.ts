import { sql, type Kysely } from 'kysely';

/**
 * Workers that follow the event log keep a checkpoint each: the position of the last event whose effects are done.
 * Notifications (mail to compliance officers, webhook deliveries) go through an outbox: one row per violation,
 * channel and recipient, unique, so a redelivered message adds nothing and nothing is sent twice; each attempt is
 * kept for GET /webhooks/{id}/deliveries.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table checkpoints (
      name text primary key,
      position text not null,
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table notification_outbox (
      id bigint generated always as identity primary key,
      tenant_id text not null,
      event_id uuid not null,
      channel text not null check (channel in ('email', 'webhook')),
      target text not null,
      payload jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      last_error text,
      created_at timestamptz not null default now(),
      delivered_at timestamptz,
      constraint notification_outbox_once unique (event_id, channel, target)
    )`.execute(db);
  await sql`create index notification_outbox_due on notification_outbox (next_attempt_at) where status = 'pending'`.execute(
    db,
  );
  await sql`create index notification_outbox_target on notification_outbox (tenant_id, channel, target, created_at)`.execute(
    db,
  );
  await sql`
    create table notification_attempts (
      outbox_id bigint not null references notification_outbox (id) on delete cascade,
      attempt integer not null,
      attempted_at timestamptz not null default now(),
      outcome text not null check (outcome in ('delivered', 'failed', 'dead')),
      status_code integer,
      error text,
      duration_ms integer not null,
      primary key (outbox_id, attempt)
    )`.execute(db);
  for (const table of ['checkpoints', 'notification_outbox', 'notification_attempts']) {
    await sql`grant select, insert, update, delete on ${sql.table(table)} to ledger_app`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table notification_attempts`.execute(db);
  await sql`drop table notification_outbox`.execute(db);
  await sql`drop table checkpoints`.execute(db);
}
