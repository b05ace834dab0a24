import { sql, type Kysely } from 'kysely';

/**
 * Crypto-shredding: one data key per data subject, wrapped with the ledger's master key. Deleting a subject's key
 * erases their personal data from every event that holds it, without touching the events. The tombstone stops a
 * new key from being minted for an erased subject by mistake.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table subject_keys (
      subject_id text primary key,
      tenant_id text not null,
      wrapped_key bytea not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index subject_keys_tenant on subject_keys (tenant_id)`.execute(db);
  await sql`
    create table erased_subjects (
      subject_id text primary key,
      tenant_id text not null,
      erased_at timestamptz not null default now()
    )`.execute(db);
  await sql`grant select, insert, delete on subject_keys to ledger_app`.execute(db);
  await sql`grant select, insert on erased_subjects to ledger_app`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table erased_subjects`.execute(db);
  await sql`drop table subject_keys`.execute(db);
}
