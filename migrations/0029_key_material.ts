import { sql, type Kysely } from 'kysely';

/**
 * Secrets the ledger keeps wrapped under its master key, beside the subject keys. The one so far: the hash root, from
 * which the keyed hashes (emails' stream names, tenants' prompt and reference hashes) are derived. It was the master
 * key itself; keeping it apart lets the master key be rotated (`ledger keys rotate`) without changing any hash.
 * The applications may read it and write it once; only the owner (the rotation) rewraps it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table key_material (
      name text primary key,
      wrapped bytea not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`grant select, insert on key_material to ledger_app`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table key_material`.execute(db);
}
