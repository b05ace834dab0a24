import { sql, type Kysely } from 'kysely';

/**
 * The evidence expiry watch also follows evidence mapped to requirements (POST /evidence/{id}/map): the requirements
 * each piece is mapped to, and the client of each submitted assessment (its projection fills both, rebuilding once).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table evidence_watch add column requirement_ids text[] not null default '{}'`.execute(db);
  await sql`alter table evidence_watch_submissions add column client_id text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table evidence_watch_submissions drop column client_id`.execute(db);
  await sql`alter table evidence_watch drop column requirement_ids`.execute(db);
}
