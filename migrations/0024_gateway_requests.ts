import { sql, type Kysely } from 'kysely';
import { readModelSecurity } from './tenant-rls.js';

/**
 * Issue 13, the gateway's read side: one row per request that passed through the gateway (or was refused at it),
 * summed at query time (GET /ai-usage, the MSP summary), so that "as of" a moment is a condition on recorded_at and
 * costs the same however long the log. Like the events it holds no text, no value and no key: counts and hashes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table gateway_requests (
      tenant_id text not null,
      request_id text not null,
      client_id text not null,
      key_id text,
      ai_service_id text,
      model text not null,
      user_ref_hash text,
      outcome text not null,
      decision text,
      tokens_in bigint not null,
      tokens_out bigint not null,
      latency_ms integer not null,
      redacted boolean not null,
      blocked boolean not null,
      recorded_at timestamptz not null,
      position text not null,
      primary key (tenant_id, request_id)
    )`.execute(db);
  await sql`create index gateway_requests_by_client on gateway_requests (tenant_id, client_id, recorded_at)`.execute(
    db,
  );
  await sql`create index gateway_requests_by_time on gateway_requests (tenant_id, recorded_at)`.execute(db);
  await readModelSecurity(db, 'gateway_requests', { kind: 'column' });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table gateway_requests`.execute(db);
}
