import { sql, type Kysely } from 'kysely';
import { enableTenantRls } from './tenant-rls.js';

/**
 * Read models for the query API, each with indexes for its queries and row-level security by tenant. Written only by
 * their projections (projections/read-models/); rebuilt into shadow copies and swapped in by npm run projections.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table clients (
      tenant_id text not null,
      client_id text not null,
      name text not null,
      industry text not null,
      size text not null,
      frameworks text[] not null default '{}',
      status text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, client_id)
    )`.execute(db);
  await sql`create index clients_by_status_name on clients (tenant_id, status, name)`.execute(db);

  await sql`
    create table violations (
      tenant_id text not null,
      violation_id uuid not null,
      client_id text not null,
      kind text not null,
      severity text not null,
      action text not null,
      ai_service_id text,
      analysis_id text,
      evidence_id text,
      entity_counts jsonb not null,
      reasons jsonb not null,
      occurred_at timestamptz not null,
      position text not null,
      primary key (tenant_id, violation_id)
    )`.execute(db);
  await sql`create index violations_by_client_time on violations (tenant_id, client_id, occurred_at desc)`.execute(db);
  await sql`create index violations_by_severity_time on violations (tenant_id, severity, occurred_at desc)`.execute(db);

  await sql`
    create table audit_log (
      tenant_id text not null,
      position text not null,
      event_id uuid not null,
      stream_id text not null,
      event_type text not null,
      actor_id text not null,
      correlation_id text not null,
      ip text,
      recorded_at timestamptz not null,
      primary key (tenant_id, position)
    )`.execute(db);
  await sql`create index audit_log_by_time on audit_log (tenant_id, recorded_at)`.execute(db);
  await sql`create index audit_log_by_actor on audit_log (tenant_id, actor_id, recorded_at)`.execute(db);

  for (const table of ['clients', 'violations', 'audit_log']) await enableTenantRls(db, table);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_log', 'violations', 'clients']) await sql`drop table ${sql.table(table)}`.execute(db);
}
