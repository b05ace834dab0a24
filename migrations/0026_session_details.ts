import { sql, type Kysely } from 'kysely';

/**
 * What a user sees of their own sessions when there is no Redis: one row per session family (device from the
 * User-Agent, the address it logged in from, when it started and was last refreshed), deleted with the family. And
 * the second step of a login with multi-factor sign-in: challenges, by their SHA-256 only, for five minutes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table session_families (
      family_id text primary key,
      user_id text not null,
      tenant_id text not null,
      user_agent text,
      address text,
      created_at timestamptz not null default now(),
      last_used_at timestamptz not null default now(),
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index session_families_user on session_families (user_id)`.execute(db);
  await sql`create index session_families_expires on session_families (expires_at)`.execute(db);
  await sql`
    create table mfa_challenges (
      challenge_hash text primary key,
      user_id text not null,
      tenant_id text not null,
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index mfa_challenges_expires on mfa_challenges (expires_at)`.execute(db);
  await sql`grant select, insert, update, delete on session_families to ledger_app`.execute(db);
  await sql`grant select, insert, update, delete on mfa_challenges to ledger_app`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table mfa_challenges`.execute(db);
  await sql`drop table session_families`.execute(db);
}
