import { sql, type Kysely } from 'kysely';
import { enableTenantRls } from './tenant-rls.js';

/** Policies with every version and their review history: GET /policies, /policies/{id}, /policies/{id}/versions. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table policies (
      tenant_id text not null,
      policy_id text not null,
      client_id text not null,
      framework_id text not null,
      title text not null,
      status text not null,
      current_version integer not null,
      published_version integer,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, policy_id)
    )`.execute(db);
  await sql`create index policies_by_client_status on policies (tenant_id, client_id, status)`.execute(db);
  await sql`create index policies_by_framework on policies (tenant_id, framework_id)`.execute(db);
  await sql`
    create table policy_versions (
      tenant_id text not null,
      policy_id text not null,
      version integer not null,
      content text not null,
      content_hash text not null,
      author_id text not null,
      created_at timestamptz not null,
      primary key (tenant_id, policy_id, version)
    )`.execute(db);
  await sql`
    create table policy_reviews (
      tenant_id text not null,
      policy_id text not null,
      position text not null,
      version integer,
      action text not null,
      actor_id text not null,
      comment text,
      at timestamptz not null,
      primary key (tenant_id, policy_id, position)
    )`.execute(db);
  for (const table of ['policies', 'policy_versions', 'policy_reviews']) await enableTenantRls(db, table);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['policy_reviews', 'policy_versions', 'policies'])
    await sql`drop table ${sql.table(table)}`.execute(db);
}
