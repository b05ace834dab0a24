import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { citationOf, FRAMEWORKS, requirementList } from '../../domain/frameworks/index.js';
import type { Database } from '../../infrastructure/database/database.js';
import { citationKey, indexable, type SearchRequirementsTable } from '../../projections/read-models/search.js';

/** Every shipped requirement as search indexes it: title, statement and guidance, citation and id as written. */
function requirementRows(): SearchRequirementsTable[] {
  return Object.values(FRAMEWORKS).flatMap((catalog) =>
    requirementList(catalog).map((requirement) => {
      const citation = citationOf(requirement);
      return {
        framework_id: catalog.id,
        requirement_id: requirement.id,
        citation,
        citation_key: citationKey(citation),
        title: indexable(requirement.title),
        body: indexable([requirement.statement, requirement.guidance].filter(Boolean).join('\n')),
        keywords: [citation, citation.replace(/[§\s]/g, ''), requirement.id, catalog.id].join(' '),
      };
    }),
  );
}

const ready = new WeakMap<Database, Promise<void>>();

/**
 * Makes search_requirements hold the catalogs this ledger ships, once per database and process: a fingerprint of the
 * rows says whether the table already does (another process, or an earlier start, may have filled it); if not, it is
 * filled again in one transaction under an advisory lock, so that racing processes fill it once. Runs as the
 * connection's own role, which owns the table: the query side's reads never write through ledger_app.
 */
export function requirementIndex(database: Database): Promise<void> {
  let done = ready.get(database);
  if (!done) {
    done = fill(database).catch((error: unknown) => {
      ready.delete(database);
      throw error;
    });
    ready.set(database, done);
  }
  return done;
}

async function fill(database: Database): Promise<void> {
  const rows = requirementRows();
  const fingerprint = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  const db = database.db;
  const current = async (trx: typeof db) =>
    (
      await sql<{
        fingerprint: string;
      }>`select fingerprint from search_catalog_state where name = 'requirements'`.execute(trx)
    ).rows[0]?.fingerprint;
  if ((await current(db)) === fingerprint) return;
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('ledger:search_requirements'))`.execute(trx);
    if ((await current(trx)) === fingerprint) return;
    await sql`delete from search_requirements`.execute(trx);
    for (let i = 0; i < rows.length; i += 500) {
      const batch = rows.slice(i, i + 500);
      const column = <K extends keyof SearchRequirementsTable>(key: K) => batch.map((row) => row[key]);
      await sql`
        insert into search_requirements (framework_id, requirement_id, citation, citation_key, title, body, keywords)
        select * from unnest(${column('framework_id')}::text[], ${column('requirement_id')}::text[], ${column('citation')}::text[],
          ${column('citation_key')}::text[], ${column('title')}::text[], ${column('body')}::text[], ${column('keywords')}::text[])`.execute(
        trx,
      );
    }
    await sql`insert into search_catalog_state (name, fingerprint, indexed_at) values ('requirements', ${fingerprint}, now())
      on conflict (name) do update set fingerprint = excluded.fingerprint, indexed_at = excluded.indexed_at`.execute(
      trx,
    );
  });
}
