import { sql, type Kysely } from 'kysely';
import { readModelSecurity } from './tenant-rls.js';

/**
 * Issue 13, gateway keys: one row per key (never the key, never its hash) with its last use, for
 * GET /clients/{id}/gateway-keys; and each AI service's provider settings as the registry shows them (whether an API
 * key is set, never the key). No AiServiceProviderSet was recorded before this version, so the ai-services
 * projection fills the new columns without a rebuild.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table gateway_keys (
      tenant_id text not null,
      key_id text not null,
      client_id text not null,
      name text not null,
      key_prefix text not null,
      user_ref jsonb,
      ai_service_ids text[],
      requests_per_minute integer,
      status text not null,
      issued_by text not null,
      issued_at timestamptz not null,
      revoked_at timestamptz,
      last_used_at timestamptz,
      primary key (tenant_id, key_id)
    )`.execute(db);
  await sql`create index gateway_keys_by_client on gateway_keys (tenant_id, client_id, issued_at desc)`.execute(db);
  await readModelSecurity(db, 'gateway_keys', { kind: 'column' });
  await sql`
    alter table ai_services
      add column provider_base_url text,
      add column provider_api_key_set boolean,
      add column provider_timeout_ms integer`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table ai_services drop column provider_base_url, drop column provider_api_key_set, drop column provider_timeout_ms`.execute(
    db,
  );
  await sql`drop table gateway_keys`.execute(db);
}
