import { sql, type Kysely } from 'kysely';
import { readModelSecurity } from './tenant-rls.js';

/**
 * Issue 17, search: one row per searchable document of a tenant (a policy, a piece of evidence, a client, a
 * violation), its words weighed in a generated tsvector: title and keywords (citations, file names, entity types) under
 * both the 'simple' configuration (identifiers as written) and 'english' (stemmed), the body under 'english'. Under
 * the same row-level security as every read model, scoped by client_id (a client's own row carries its own id).
 *
 * And the text extracted from each evidence file at upload (PDF, DOCX, plain text), by tenant and SHA-256: not a read
 * model, a cache of what the blob says, so that the search projection (and its rebuilds) reads it from the
 * transaction it is given instead of parsing files. Only the command side writes it and only projections read it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table search_documents (
      tenant_id text not null,
      doc_type text not null,
      ref_id text not null,
      client_id text not null,
      framework_id text,
      title text not null,
      body text not null default '',
      keywords text not null default '',
      refs text[] not null default '{}',
      status text,
      updated_at timestamptz not null,
      document tsvector generated always as (
        setweight(to_tsvector('simple'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('simple'::regconfig, keywords), 'B') ||
        setweight(to_tsvector('english'::regconfig, body), 'C')
      ) stored,
      primary key (tenant_id, doc_type, ref_id)
    )`.execute(db);
  await sql`create index search_documents_words on search_documents using gin (document)`.execute(db);
  await sql`create index search_documents_by_client on search_documents (tenant_id, client_id)`.execute(db);
  await readModelSecurity(db, 'search_documents', { kind: 'column' });

  await sql`
    create table evidence_texts (
      tenant_id text not null,
      sha256 text not null,
      text text not null,
      extracted_at timestamptz not null default now(),
      primary key (tenant_id, sha256)
    )`.execute(db);
  await sql`grant select on evidence_texts to ledger_projector`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table evidence_texts`.execute(db);
  await sql`drop table search_documents`.execute(db);
}
