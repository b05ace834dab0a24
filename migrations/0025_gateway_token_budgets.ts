import { sql, type Kysely } from 'kysely';

/**
 * Issue 13, the gateway: tokens each client's traffic used per calendar month (UTC), against its monthly budget. Not a
 * read model: the gateway reserves an estimate here before it forwards (one conditional UPDATE, so parallel requests
 * cannot overshoot) and settles to the real usage afterwards. Where Redis is configured, it keeps the counts instead.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table gateway_token_budgets (
      tenant_id text not null,
      client_id text not null,
      month text not null,
      used bigint not null default 0,
      primary key (tenant_id, client_id, month)
    )`.execute(db);
  await sql`grant select, insert, update, delete on gateway_token_budgets to ledger_app`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table gateway_token_budgets`.execute(db);
}
