import { sql, type Kysely } from 'kysely';
import { enableTenantRls } from './tenant-rls.js';

/** Evidence with its validity window and mapped requirements: GET /evidence, /evidence/{id}. Freshness is computed at read time. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table evidence (
      tenant_id text not null,
      evidence_id text not null,
      client_id text not null,
      title text not null,
      file_name text not null,
      content_type text not null,
      sha256 text not null,
      size bigint not null,
      valid_from timestamptz not null,
      expires_at timestamptz not null,
      requirement_ids text[] not null default '{}',
      status text not null,
      uploaded_by text not null,
      uploaded_at timestamptz not null,
      primary key (tenant_id, evidence_id)
    )`.execute(db);
  await sql`create index evidence_by_client_expiry on evidence (tenant_id, client_id, expires_at)`.execute(db);
  await enableTenantRls(db, 'evidence');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table evidence`.execute(db);
}
