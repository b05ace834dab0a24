import { sql, type Transaction } from 'kysely';
import type { ReadScope } from '../../infrastructure/read-models/tenant-scope.js';
import { citationKey, type SearchType } from '../../projections/read-models/search.js';
import { SNIPPET_OPTIONS, TITLE_OPTIONS } from './highlights.js';

export interface SearchRow {
  type: SearchType;
  id: string;
  client_id: string | null;
  framework_id: string | null;
  citation: string | null;
  status: string | null;
  rank: number;
  /** How many match in all (every row of the page repeats it). */
  total: string;
  /** ts_headline's title and snippet, matches between START_MARK and STOP_MARK. */
  marked_title: string;
  marked_body: string;
}

/**
 * One page of what matches `q` among the types asked for, best first: the tenant's documents (search_documents, under
 * the transaction's row-level security) and the shared requirements (search_requirements) in one ranking. The query
 * is read as a web search (websearch_to_tsquery), stemmed ('english') or as written ('simple'): either matches. An
 * exact citation or requirement id counts one more, so it comes first; retired and archived documents count half.
 * Snippets are made for the page's rows only (ts_headline reads the whole text).
 */
export async function searchRows(
  trx: Transaction<unknown>,
  scope: ReadScope,
  search: { q: string; types: readonly SearchType[]; paging: { size: number; offset: number } },
): Promise<SearchRow[]> {
  const { q, types, paging } = search;
  const documentTypes = types.filter((type) => type !== 'requirement');
  // Row-level security scopes the rows; the conditions repeat it so that the indexes serve the query.
  const client = scope.clientId === null ? sql`true` : sql`d.client_id = ${scope.clientId}`;
  const { rows } = await sql<SearchRow>`
    with q as (select websearch_to_tsquery('english', ${q}) || websearch_to_tsquery('simple', ${q}) as query),
    hits as (
      select d.doc_type as type, d.ref_id as id, d.client_id, d.framework_id, null::text as citation, d.title,
        d.body, d.status,
        ts_rank(d.document, q.query, 1) * (case when d.status in ('retired', 'archived') then 0.5 else 1 end) as rank
      from search_documents d, q
      where d.tenant_id = ${scope.tenantId} and ${client} and d.doc_type = any(${documentTypes}::text[])
        and d.document @@ q.query
      union all
      select 'requirement', r.requirement_id, null, r.framework_id, r.citation, r.title, r.body, null,
        ts_rank(r.document, q.query, 1)
          + (case when r.citation_key = ${citationKey(q)} or lower(r.requirement_id) = ${q.toLowerCase()} then 1 else 0 end)
      from search_requirements r, q
      where ${types.includes('requirement')} and r.document @@ q.query
    ),
    ranked as (
      select *, count(*) over () as total from hits
      order by rank desc, type, id limit ${paging.size} offset ${paging.offset}
    )
    select ranked.type, ranked.id, ranked.client_id, ranked.framework_id, ranked.citation, ranked.status,
      ranked.rank::float8 as rank, ranked.total,
      ts_headline('english', ranked.title, q.query, ${TITLE_OPTIONS}) as marked_title,
      ts_headline('english', ranked.body, q.query, ${SNIPPET_OPTIONS}) as marked_body
    from ranked, q
    order by ranked.rank desc, ranked.type, ranked.id`.execute(trx);
  return rows;
}
