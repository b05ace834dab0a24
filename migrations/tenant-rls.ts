import { sql, type Kysely } from 'kysely';

/**
 * Row-level security on every tenant-scoped read model: a row is visible only when its tenant_id is the request's
 * tenant, set per transaction (app.tenant_id). Queries run as the unprivileged ledger_app role (superusers and table
 * owners would bypass the policy), so a query that forgets its WHERE clause still sees one tenant. Projections,
 * which write for every tenant, say so with app.projection = 'on' in their own transactions.
 */
export async function enableTenantRls(db: Kysely<unknown>, table: string): Promise<void> {
  await sql`alter table ${sql.table(table)} enable row level security`.execute(db);
  await sql`alter table ${sql.table(table)} force row level security`.execute(db);
  await sql`drop policy if exists tenant_isolation on ${sql.table(table)}`.execute(db);
  await sql`
    create policy tenant_isolation on ${sql.table(table)}
    using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.projection', true) = 'on')
    with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.projection', true) = 'on')`.execute(
    db,
  );
  await sql`grant select, insert, update, delete on ${sql.table(table)} to ledger_app`.execute(db);
}
