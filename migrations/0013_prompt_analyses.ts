import { sql, type Kysely } from 'kysely';
import { enableTenantRls } from './tenant-rls.js';

/**
 * Prompt analyses, one row each: GET /prompt-analyses. Like the events they come from they hold no prompt text, only
 * what was found where (entity types, offsets, scores), the decision and its reasons, and keyed hashes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table prompt_analyses (
      tenant_id text not null,
      analysis_id text not null,
      client_id text not null,
      ai_service_id text not null,
      user_ref_hash text,
      conversation_id text,
      prompt_length integer not null,
      decision text not null,
      findings jsonb not null,
      entity_counts jsonb not null,
      reasons jsonb not null,
      service_approved boolean not null,
      engine_version integer not null,
      analysed_at timestamptz not null,
      position text not null,
      primary key (tenant_id, analysis_id)
    )`.execute(db);
  await sql`create index prompt_analyses_by_client on prompt_analyses (tenant_id, client_id, analysed_at desc)`.execute(
    db,
  );
  await sql`create index prompt_analyses_by_decision on prompt_analyses (tenant_id, decision, analysed_at desc)`.execute(
    db,
  );
  await enableTenantRls(db, 'prompt_analyses');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table prompt_analyses`.execute(db);
}
