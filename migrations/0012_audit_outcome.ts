import { sql, type Kysely } from 'kysely';

/**
 * The audit log records refused commands as well as recorded events: each entry's outcome, and for a refusal what
 * was asked and why it was refused. The audit-log projection's version 2 fills them (it rebuilds itself on deploy).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_log add column outcome text not null default 'recorded'`.execute(db);
  await sql`alter table audit_log add column refusal jsonb`.execute(db);
  await sql`create index audit_log_by_outcome on audit_log (tenant_id, outcome, recorded_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index audit_log_by_outcome`.execute(db);
  await sql`alter table audit_log drop column refusal`.execute(db);
  await sql`alter table audit_log drop column outcome`.execute(db);
}
