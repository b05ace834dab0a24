import { sql, type Kysely } from 'kysely';

/**
 * Issue 11, evidence: when, by whom and why each piece of evidence was retired (the evidence projection's version 2
 * fills them from EvidenceRetired, whose reason is absent from events recorded before it was asked for).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table evidence add column retired_at timestamptz, add column retired_by text, add column retired_reason text`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table evidence drop column retired_at, drop column retired_by, drop column retired_reason`.execute(
    db,
  );
}
