import { sql, type Kysely } from 'kysely';

/**
 * Issue 11, scores and history: the assessor's note on each result and the coverage and warnings recorded at
 * submission (the assessments projection's version 2 fills them); the client each audit entry belongs to and the
 * reason it records (the audit-log projection's version 4). Both projections rebuild themselves on deploy.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table assessment_results add column note text`.execute(db);
  await sql`alter table assessments add column submitted_coverage jsonb, add column submission_warnings jsonb`.execute(
    db,
  );
  await sql`alter table audit_log add column client_id text, add column reason text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_log drop column client_id, drop column reason`.execute(db);
  await sql`alter table assessments drop column submitted_coverage, drop column submission_warnings`.execute(db);
  await sql`alter table assessment_results drop column note`.execute(db);
}
