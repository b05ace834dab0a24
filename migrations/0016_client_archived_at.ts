import { sql, type Kysely } from 'kysely';

/** When a client was archived (the clients projection fills it, rebuilding once for clients archived before). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table clients add column archived_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table clients drop column archived_at`.execute(db);
}
