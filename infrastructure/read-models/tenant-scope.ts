import { sql, type Kysely, type Transaction } from 'kysely';

/**
 * Reads under row-level security (the policies are created by the migrations, migrations/tenant-rls.ts): queries run
 * as the unprivileged ledger_app role (superusers and owners would bypass the policy) with the request's tenant set
 * for the transaction, so a query that forgets its WHERE clause still sees one tenant. Runs `query` so.
 */
export async function asTenant<T>(
  db: Kysely<unknown>,
  tenantId: string,
  query: (trx: Transaction<unknown>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local role ledger_app`.execute(trx);
    await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
    return query(trx);
  });
}

/** Marks a transaction as a projection's: it writes rows of every tenant. */
export async function asProjection(trx: Transaction<unknown>): Promise<void> {
  await sql`select set_config('app.projection', 'on', true)`.execute(trx);
}
