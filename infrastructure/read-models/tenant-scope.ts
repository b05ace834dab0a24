import { sql, type Kysely, type Transaction } from 'kysely';

/** Whose rows a read may see: one tenant, and one client of it or (null) all of them. */
export interface ReadScope {
  tenantId: string;
  clientId: string | null;
}

/**
 * Sets a transaction up to read under row-level security (the policies are created by the migrations,
 * migrations/tenant-rls.ts): as the unprivileged ledger_app role (superusers and owners would bypass the policies),
 * with the reader's tenant and client, so that a query that forgets a condition still sees one tenant's one client
 * ('*' is every client: the MSP's own people).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readAs(trx: Transaction<any>, scope: ReadScope): Promise<void> {
  await sql`set local role ledger_app`.execute(trx);
  await sql`select set_config('app.tenant_id', ${scope.tenantId}, true), set_config('app.client_id', ${scope.clientId ?? '*'}, true)`.execute(
    trx,
  );
}

/** Runs `query` in a transaction that reads as `scope` (see readAs). */
export async function asTenant<T, DB = unknown>(
  db: Kysely<DB>,
  scope: ReadScope,
  query: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await readAs(trx, scope);
    return query(trx);
  });
}

/** Makes a transaction a projection's: it writes rows of every tenant, as ledger_projector. */
export async function asProjection(trx: Transaction<unknown>): Promise<void> {
  await sql`set local role ledger_projector`.execute(trx);
}
