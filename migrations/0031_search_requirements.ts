import { sql, type Kysely } from 'kysely';

/**
 * Issue 17, search: the frameworks' requirements, which are the same for every tenant, indexed once (not per tenant)
 * with the same weights as search_documents. They are shipped data, not events: the query side fills the table from
 * the catalogs it ships when their fingerprint differs from the one recorded (query-api/search/requirement-index.ts),
 * so a new catalog version is indexed on its first search. No tenant column and no row-level security: every reader
 * may read every catalog (framework:read); only SELECT for the query side's role.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table search_requirements (
      framework_id text not null,
      requirement_id text not null,
      citation text not null,
      citation_key text not null,
      title text not null,
      body text not null,
      keywords text not null,
      document tsvector generated always as (
        setweight(to_tsvector('simple'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('simple'::regconfig, keywords), 'B') ||
        setweight(to_tsvector('english'::regconfig, body), 'C')
      ) stored,
      primary key (framework_id, requirement_id)
    )`.execute(db);
  await sql`create index search_requirements_words on search_requirements using gin (document)`.execute(db);
  await sql`create index search_requirements_by_citation on search_requirements (citation_key)`.execute(db);
  await sql`create table search_catalog_state (name text primary key, fingerprint text not null, indexed_at timestamptz not null)`.execute(
    db,
  );
  await sql`grant select on search_requirements to ledger_app`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table search_catalog_state`.execute(db);
  await sql`drop table search_requirements`.execute(db);
}
