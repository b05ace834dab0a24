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

/** Whose rows a client-scoped reader may see in a read-model table. */
export type ClientScoping =
  /** The table has a client_id column: that client's rows. */
  | { kind: 'column' }
  /** The MSP's own data, such as its AI service registry: every reader of the tenant. */
  | { kind: 'tenant-wide' }
  /** Only the MSP's people read it (the audit log): no client-scoped reader. */
  | { kind: 'msp-only' }
  /** A child table: the rows whose parent row (same tenant, same `key`) is the reader's client's. */
  | { kind: 'parent'; parent: string; key: string };

/**
 * Row-level security of a read model, for the two roles that touch it. The query side runs as ledger_app, which may
 * only SELECT, and sees the rows of the transaction's tenant (app.tenant_id) and client (app.client_id: a client id,
 * or '*' for the MSP's own people); a transaction that sets neither sees nothing. Projections run as
 * ledger_projector, which writes every tenant's rows. Nothing a transaction can set widens what ledger_app sees to
 * another tenant, and ledger_app cannot become ledger_projector.
 */
export async function readModelSecurity(db: Kysely<unknown>, table: string, scoping: ClientScoping): Promise<void> {
  const t = sql.table(table);
  const client = sql`coalesce(current_setting('app.client_id', true), '')`;
  const clientRows =
    scoping.kind === 'column'
      ? sql`(${client} = '*' or client_id = ${client})`
      : scoping.kind === 'tenant-wide'
        ? sql`${client} <> ''`
        : scoping.kind === 'msp-only'
          ? sql`${client} = '*'`
          : sql`(${client} = '*' or ${sql.id(parentClientFunction(scoping.parent))}(tenant_id, ${sql.id(scoping.key)}) = ${client})`;
  if (scoping.kind === 'parent') {
    // A function, not a subquery: its body names the parent table afresh at each call, so the policy holds no
    // reference to one table that a rebuild's swap would replace (and within an asOf replay it reads the replayed one).
    await sql`create or replace function ${sql.id(parentClientFunction(scoping.parent))}(tenant text, id text) returns text
      language sql stable as ${sql.lit(`select client_id from ${scoping.parent} where tenant_id = tenant and ${scoping.key} = id`)}`.execute(
      db,
    );
  }
  await sql`alter table ${t} enable row level security`.execute(db);
  await sql`alter table ${t} force row level security`.execute(db);
  for (const name of ['tenant_isolation', 'reader', 'projector'])
    await sql`drop policy if exists ${sql.id(name)} on ${t}`.execute(db);
  await sql`create policy reader on ${t} for select to ledger_app
    using (tenant_id = current_setting('app.tenant_id', true) and ${clientRows})`.execute(db);
  await sql`create policy projector on ${t} for all to ledger_projector using (true) with check (true)`.execute(db);
  await sql`revoke insert, update, delete on ${t} from ledger_app`.execute(db);
  await sql`grant select on ${t} to ledger_app`.execute(db);
  await sql`grant select, insert, update, delete on ${t} to ledger_projector`.execute(db);
}

/** The function that names the client of a parent row: `ledger_client_of_policies(tenant, policy_id)`. */
function parentClientFunction(parent: string): string {
  return `ledger_client_of_${parent}`;
}
