import { sql, type Kysely } from 'kysely';
import { enableTenantRls } from './tenant-rls.js';

/**
 * Users and their roles: GET /users. E-mail and name stay sealed here as they are in the events (crypto-shredding):
 * the query API opens them per request, and an erased user's read back as "[erased]" without touching this table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table users (
      tenant_id text not null,
      user_id text not null,
      email jsonb,
      name jsonb,
      role text not null,
      client_id text,
      status text not null,
      email_verified boolean not null default false,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, user_id)
    )`.execute(db);
  await sql`create index users_by_role on users (tenant_id, role, created_at)`.execute(db);
  await sql`create index users_by_client on users (tenant_id, client_id, created_at)`.execute(db);
  await enableTenantRls(db, 'users');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table users`.execute(db);
}
