import { sql, type Kysely } from 'kysely';

/**
 * Sessions when there is no Redis: refresh tokens (by their SHA-256 only, never the token) and the families whose
 * access tokens are refused, each with its expiry, so that logins and revocations outlive a restart. A used token is
 * kept until it expires: its coming back is how a stolen copy is detected.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table session_tokens (
      token_hash text primary key,
      family_id text not null,
      user_id text not null,
      tenant_id text not null,
      used boolean not null default false,
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index session_tokens_family on session_tokens (family_id)`.execute(db);
  await sql`create index session_tokens_user on session_tokens (user_id)`.execute(db);
  await sql`create index session_tokens_expires on session_tokens (expires_at)`.execute(db);
  await sql`
    create table revoked_sessions (
      family_id text primary key,
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index revoked_sessions_expires on revoked_sessions (expires_at)`.execute(db);
  await sql`grant select, insert, update, delete on session_tokens to ledger_app`.execute(db);
  await sql`grant select, insert, update, delete on revoked_sessions to ledger_app`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table revoked_sessions`.execute(db);
  await sql`drop table session_tokens`.execute(db);
}
