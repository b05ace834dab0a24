import { sql } from 'kysely';
import { z } from 'zod';
import { evidenceStream } from '../../domain/evidence/evidence.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging, resource } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { Evidence, evidenceOf, evidenceProjection, FRESHNESS } from '../../projections/read-models/evidence.js';
import { minPosition } from '../http/min-position.js';
import {
  AsOf,
  clientOfList,
  listMeta,
  ownedBy,
  pageOf,
  readAt,
  readModels,
  timeRange,
  type ReadDeps,
} from '../http/reads.js';

const read = { permission: 'evidence:read' } as const;

/** Freshness as of now: retired, expired (active, past its expiry), expiring within 30 days, valid. */
const FRESH = {
  retired: sql<boolean>`(status = 'retired')`,
  expired: sql<boolean>`(status = 'active' and expires_at <= now())`,
  expiring: sql<boolean>`(status = 'active' and expires_at > now() and expires_at <= now() + interval '30 days')`,
  valid: sql<boolean>`(status = 'active' and expires_at > now() + interval '30 days')`,
};

/** GET /evidence and /evidence/{id}: evidence files with their freshness (a client-scoped user sees its own). */
export function evidenceReads(deps: ReadDeps & { waitMs: number }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [evidenceProjection], deps.waitMs);
  return [
    operation({
      operationId: 'listEvidence',
      method: 'get',
      path: '/evidence',
      tags: ['evidence'],
      summary:
        'Evidence, soonest to expire first (or newest upload, or title), with its freshness (valid, expiring within 30 days, expired, or retired: apart from expired)',
      access: read,
      headers: ['X-Min-Position'],
      query: Paging.extend(timeRange('when it was uploaded')).extend({
        clientId: Id.optional(),
        freshness: z.enum(FRESHNESS).optional(),
        requirementId: z.string().optional(),
        sort: z.enum(['expiresAt', 'uploadedAt', 'title']).default('expiresAt'),
      }),
      answers: { 200: { description: 'Evidence', schema: page(Evidence) } },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { from, to, freshness, requirementId, sort } = req.query;
        const clientId = clientOfList(req.query.clientId, actor);
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) => {
          let query = trx
            .selectFrom('evidence')
            .selectAll()
            .select(sql<string>`count(*) over ()`.as('total'));
          if (clientId) query = query.where('client_id', '=', clientId);
          if (requirementId) query = query.where(sql<boolean>`${requirementId} = any(requirement_ids)`);
          if (freshness) query = query.where(FRESH[freshness]);
          if (from) query = query.where('uploaded_at', '>=', from);
          if (to) query = query.where('uploaded_at', '<', to);
          query =
            sort === 'uploadedAt'
              ? query.orderBy('uploaded_at', 'desc').orderBy('evidence_id')
              : sort === 'title'
                ? query.orderBy('title').orderBy('evidence_id')
                : query.orderBy('expires_at').orderBy('evidence_id');
          return query.limit(paging.size).offset(paging.offset).execute();
        });
        res.json({ data: rows.map((row) => evidenceOf(row)), meta: listMeta(paging, Number(rows[0]?.total ?? 0)) });
      },
    }),
    operation({
      operationId: 'getEvidence',
      method: 'get',
      path: '/evidence/{id}',
      tags: ['evidence'],
      summary: 'One piece of evidence with its freshness, now or as it was at asOf (freshness at that moment)',
      access: read,
      headers: ['X-Min-Position'],
      params: z.object({ id: Id }),
      etag: ({ id }, tenantId) => evidenceStream(tenantId, id),
      query: z.object({ asOf: AsOf }),
      answers: {
        200: { description: 'The evidence', schema: resource(Evidence) },
        404: { description: 'No such evidence', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const evidenceId = req.params.id;
        const target = { projections: [evidenceProjection], streamId: evidenceStream(actor.tenantId, evidenceId) };
        res.json(
          await readAt(deps, actor, req.query.asOf, target, async (trx, at) => {
            const row = await trx
              .selectFrom('evidence')
              .selectAll()
              .where('evidence_id', '=', evidenceId)
              .executeTakeFirst();
            return evidenceOf(ownedBy(actor, row, 'evidence'), at);
          }),
        );
      },
    }),
  ];
}
