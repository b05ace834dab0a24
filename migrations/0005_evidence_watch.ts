import { sql, type Kysely } from 'kysely';

/**
 * The evidence expiry watch's read model: evidence with its expiry, which requirements of which assessments cite it,
 * and which assessments are submitted. Written only by its projection (projections/evidence-expiry/).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table evidence_watch (
      tenant_id text not null,
      evidence_id text not null,
      client_id text not null,
      title text not null,
      expires_at timestamptz not null,
      active boolean not null default true,
      violation_recorded boolean not null default false,
      primary key (tenant_id, evidence_id)
    )`.execute(db);
  await sql`create index evidence_watch_due on evidence_watch (expires_at) where active and not violation_recorded`.execute(
    db,
  );
  await sql`
    create table evidence_watch_citations (
      tenant_id text not null,
      assessment_id text not null,
      requirement_id text not null,
      evidence_ids text[] not null,
      primary key (tenant_id, assessment_id, requirement_id)
    )`.execute(db);
  await sql`create index evidence_watch_citations_evidence on evidence_watch_citations using gin (evidence_ids)`.execute(
    db,
  );
  await sql`
    create table evidence_watch_submissions (
      tenant_id text not null,
      assessment_id text not null,
      submitted_at timestamptz not null,
      primary key (tenant_id, assessment_id)
    )`.execute(db);
  for (const table of ['evidence_watch', 'evidence_watch_citations', 'evidence_watch_submissions']) {
    await sql`grant select, insert, update, delete on ${sql.table(table)} to ledger_app`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table evidence_watch_submissions`.execute(db);
  await sql`drop table evidence_watch_citations`.execute(db);
  await sql`drop table evidence_watch`.execute(db);
}
