import { sql, type Kysely } from 'kysely';
import { readModelSecurity } from './tenant-rls.js';

/**
 * Violations as a workflow: each violation's status, assignee and resolution, who sent the prompt (sealed), and a
 * table of what happened to it (acknowledged, assigned, resolved, reopened, commented). The violations projection's
 * new version fills them from the log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table violations
      add column status text not null default 'open',
      add column assignee_id text,
      add column user_ref jsonb,
      add column acknowledged_at timestamptz,
      add column resolved_at timestamptz,
      add column resolution_note text,
      add column updated_at timestamptz`.execute(db);
  await sql`create index violations_by_status_time on violations (tenant_id, status, occurred_at desc)`.execute(db);
  await sql`
    create table violation_activity (
      tenant_id text not null,
      position text not null,
      event_id uuid not null,
      violation_id text not null,
      client_id text not null,
      type text not null,
      actor_id text not null,
      assignee_id text,
      comment_id text,
      note text,
      at timestamptz not null,
      primary key (tenant_id, position)
    )`.execute(db);
  await sql`create index violation_activity_by_violation on violation_activity (tenant_id, violation_id, position)`.execute(
    db,
  );
  await readModelSecurity(db, 'violation_activity', { kind: 'column' });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table violation_activity`.execute(db);
  await sql`drop index violations_by_status_time`.execute(db);
  await sql`
    alter table violations
      drop column status, drop column assignee_id, drop column user_ref, drop column acknowledged_at,
      drop column resolved_at, drop column resolution_note, drop column updated_at`.execute(db);
}
