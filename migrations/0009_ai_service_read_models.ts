import { sql, type Kysely } from 'kysely';
import { enableTenantRls } from './tenant-rls.js';

/** The AI service registry, each client's approvals, and AI usage per client, service and day. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table ai_services (
      tenant_id text not null,
      ai_service_id text not null,
      name text not null,
      vendor text not null,
      models text[] not null,
      baa_signed boolean not null,
      dpa_signed boolean not null,
      data_retention_days integer not null,
      registered_at timestamptz not null,
      primary key (tenant_id, ai_service_id)
    )`.execute(db);
  await sql`
    create table ai_service_approvals (
      tenant_id text not null,
      client_id text not null,
      ai_service_id text not null,
      status text not null,
      reason text not null,
      changed_at timestamptz not null,
      primary key (tenant_id, client_id, ai_service_id)
    )`.execute(db);
  await sql`
    create table ai_usage (
      tenant_id text not null,
      client_id text not null,
      ai_service_id text not null,
      day date not null,
      analysed integer not null default 0,
      warned integer not null default 0,
      redacted integer not null default 0,
      blocked integer not null default 0,
      primary key (tenant_id, client_id, ai_service_id, day)
    )`.execute(db);
  for (const table of ['ai_services', 'ai_service_approvals', 'ai_usage']) await enableTenantRls(db, table);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['ai_usage', 'ai_service_approvals', 'ai_services'])
    await sql`drop table ${sql.table(table)}`.execute(db);
}
