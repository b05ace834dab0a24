import { sql, type Kysely } from 'kysely';
import { readModelSecurity } from './tenant-rls.js';

/**
 * Issue 17, profiles and contacts: one profile row per user, their contacts and professional history. Every text
 * value stays sealed here as it is in the events (jsonb envelopes, opened per request); only the flags and a contact's
 * type are plain. A client-scoped reader sees the rows of its client's users (the users table says whose).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table user_profiles (
      tenant_id text not null,
      user_id text not null,
      fields jsonb not null,
      public boolean not null,
      contact boolean not null,
      updated_at timestamptz not null,
      primary key (tenant_id, user_id)
    )`.execute(db);
  await sql`
    create table user_contacts (
      tenant_id text not null,
      user_id text not null,
      contact_id text not null,
      type text not null,
      value jsonb not null,
      label jsonb,
      is_primary boolean not null,
      active boolean not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, contact_id)
    )`.execute(db);
  await sql`create index user_contacts_by_user on user_contacts (tenant_id, user_id, created_at)`.execute(db);
  await sql`
    create table user_experience (
      tenant_id text not null,
      user_id text not null,
      entry_id text not null,
      fields jsonb not null,
      active boolean not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, entry_id)
    )`.execute(db);
  await sql`create index user_experience_by_user on user_experience (tenant_id, user_id, created_at)`.execute(db);
  for (const table of ['user_profiles', 'user_contacts', 'user_experience'])
    await readModelSecurity(db, table, { kind: 'parent', parent: 'users', key: 'user_id' });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table user_experience`.execute(db);
  await sql`drop table user_contacts`.execute(db);
  await sql`drop table user_profiles`.execute(db);
}
