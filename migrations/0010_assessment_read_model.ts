import { sql, type Kysely } from 'kysely';
import { enableTenantRls } from './tenant-rls.js';

/** Assessments with their scores and per-requirement results: the MSP summary's compliance scores and trends. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table assessments (
      tenant_id text not null,
      assessment_id text not null,
      client_id text not null,
      framework_id text not null,
      catalog_version text not null,
      title text not null,
      status text not null,
      score numeric,
      progress numeric,
      started_at timestamptz not null,
      submitted_at timestamptz,
      primary key (tenant_id, assessment_id)
    )`.execute(db);
  await sql`create index assessments_by_client_framework on assessments (tenant_id, client_id, framework_id, submitted_at desc)`.execute(
    db,
  );
  await sql`
    create table assessment_results (
      tenant_id text not null,
      assessment_id text not null,
      requirement_id text not null,
      result text not null,
      score numeric,
      evidence_ids text[] not null,
      primary key (tenant_id, assessment_id, requirement_id)
    )`.execute(db);
  for (const table of ['assessments', 'assessment_results']) await enableTenantRls(db, table);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['assessment_results', 'assessments']) await sql`drop table ${sql.table(table)}`.execute(db);
}
