import { z } from 'zod';
import type { Permission } from '../../domain/accounts/roles.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commaList, page, Paging } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { SEARCH_TYPES, SearchResult, searchProjection, type SearchType } from '../../projections/read-models/search.js';
import { minPosition } from '../http/min-position.js';
import { listMeta, pageOf, type ReadDeps } from '../http/reads.js';
import { highlighted } from './highlights.js';
import { searchRows } from './query.js';
import { requirementIndex } from './requirement-index.js';

/** The permission that reads each type of result, as its own list route requires it. */
const READ_PERMISSION: Record<SearchType, Permission> = {
  policy: 'policy:read',
  requirement: 'framework:read',
  evidence: 'evidence:read',
  client: 'client:read',
  violation: 'violation:read',
};

export const MAX_QUERY_LENGTH = 200;

const Query = z
  .string()
  .trim()
  .min(1, 'required: the words to search for')
  .max(MAX_QUERY_LENGTH, `at most ${MAX_QUERY_LENGTH} characters`)
  .refine((q) => /[\p{L}\p{N}]/u.test(q), 'must contain a letter or a digit')
  .describe(
    'Words to find, as in a web search: all of them (`access review`), a phrase in double quotes, `or`, and `-word` to leave one out. Matched stemmed (english) and as written (simple), so citations such as 164.308(a)(1) or AC-2(1) are found too.',
  );

/** GET /search: full-text search over what the caller may read. */
export function searchReads(deps: ReadDeps & { waitMs: number }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [searchProjection], deps.waitMs);
  return [
    operation({
      operationId: 'search',
      method: 'get',
      path: '/search',
      tags: ['search'],
      summary:
        'Full-text search over policies, requirements, evidence (with the text of its files), clients and violations',
      description: [
        'Results, most relevant first (ts_rank; an exact citation first among requirements; retired and archived documents count half), each with its title and a snippet as plain text plus the ranges that matched (`titleHighlights`, `highlights`: [start, end) in UTF-16 code units). The snippet holds no markup: a console marks the ranges itself.',
        'Searched: a policy’s title and the text of its current version; a requirement’s citation, title, statement and guidance (the catalogs every tenant shares); evidence’s title, file name, the citations it is mapped to, and the text of PDF, DOCX and plain-text files (their first 100,000 characters, read at upload); a client’s name, industry and frameworks; a violation’s kind, severity, action, reasons and entity types (never a prompt: none is kept).',
        'Under the same row-level security as every read: a client-scoped user finds its own client’s documents and the requirements. `types` narrows the search; types the caller’s role may not read are left out, and naming one is a 403.',
      ].join('\n\n'),
      access: { permission: Object.values(READ_PERMISSION) },
      headers: ['X-Min-Position'],
      query: Paging.extend({
        q: Query,
        types: commaList(SEARCH_TYPES, 'type').optional(),
      }),
      answers: {
        200: { description: 'Matching documents, best first', schema: page(SearchResult) },
        403: { description: 'A type named in `types` that your role may not read', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { q } = req.query;
        const readable = SEARCH_TYPES.filter((type) => actor.permissions.includes(READ_PERMISSION[type]));
        const types = req.query.types ?? readable;
        const refused = types.filter((type) => !readable.includes(type));
        if (refused.length > 0)
          throw new HttpProblem(403, 'forbidden', 'Forbidden', `Your role may not read: ${refused.join(', ')}.`, {
            errors: [{ field: 'types', message: `not readable with your role: ${refused.join(', ')}` }],
          });
        if (types.includes('requirement')) await requirementIndex(deps.database);
        const paging = pageOf(req.query);
        const rows = await asTenant(deps.database.db, actor, (trx) => searchRows(trx, actor, { q, types, paging }));
        res.json({
          data: rows.map((row): z.output<typeof SearchResult> => {
            const title = highlighted(row.marked_title);
            const snippet = highlighted(row.marked_body);
            return {
              type: row.type,
              id: row.id,
              clientId: row.client_id,
              frameworkId: row.framework_id,
              citation: row.citation,
              title: title.text,
              titleHighlights: title.highlights,
              snippet: snippet.text,
              highlights: snippet.highlights,
              status: row.status,
              rank: Number(row.rank),
            };
          }),
          meta: listMeta(paging, Number(rows[0]?.total ?? 0)),
        });
      },
    }),
  ];
}
