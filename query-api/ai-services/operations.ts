import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging, resource } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import {
  AiService,
  aiServiceOf,
  aiServicesProjection,
  type AiUsage,
} from '../../projections/read-models/ai-services.js';
import { minPosition } from '../http/min-position.js';
import { clientOfList, listMeta, notFound, pageOf, readModels, type ReadDeps } from '../http/reads.js';
import type { ReadModels } from '../../projections/read-models/tables.js';

/**
 * The registry's services, with their use over 30 days and, for a client, its approval of each ("none" where it
 * never decided; null without a client).
 */
function registry(trx: Transaction<ReadModels>, clientId: string | null) {
  const services = trx
    .selectFrom('ai_services as s')
    .selectAll('s')
    .select((eb) => [
      eb
        .selectFrom('ai_usage as u')
        .select(
          sql<AiUsage>`json_build_object('analysed', coalesce(sum(u.analysed), 0), 'warned', coalesce(sum(u.warned), 0), 'redacted', coalesce(sum(u.redacted), 0), 'blocked', coalesce(sum(u.blocked), 0))`.as(
            'usage',
          ),
        )
        .whereRef('u.ai_service_id', '=', 's.ai_service_id')
        .where('u.day', '>', sql<Date>`current_date - 30`)
        .$if(clientId !== null, (usage) => usage.where('u.client_id', '=', clientId!))
        .$asScalar()
        .$notNull()
        .as('usage'),
      sql<string>`count(*) over ()`.as('total'),
    ])
    .orderBy('s.name')
    .orderBy('s.ai_service_id');
  return clientId === null
    ? services.select(sql<'approved' | 'revoked' | 'none' | null>`null`.as('approval'))
    : services
        .leftJoin('ai_service_approvals as a', (join) =>
          join.onRef('a.ai_service_id', '=', 's.ai_service_id').on('a.client_id', '=', clientId),
        )
        .select((eb) => eb.fn.coalesce('a.status', sql<'none'>`'none'`).as('approval'));
}

/** GET /ai-services: the MSP's registry; for one client, its approvals and its use of each service. */
export function aiServiceReads(deps: ReadDeps & { waitMs: number }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [aiServicesProjection], deps.waitMs);
  return [
    operation({
      operationId: 'listAiServices',
      method: 'get',
      path: '/ai-services',
      tags: ['ai-governance'],
      summary:
        "The AI service registry; with clientId, that client's approval of each and its use of them over 30 days",
      access: { permission: 'ai-service:read' },
      headers: ['X-Min-Position'],
      query: Paging.extend({ clientId: Id.optional() }),
      answers: { 200: { description: 'AI services', schema: page(AiService) } },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const clientId = clientOfList(req.query.clientId, actor) ?? null;
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) =>
          registry(trx, clientId).limit(paging.size).offset(paging.offset).execute(),
        );
        res.json({ data: rows.map(aiServiceOf), meta: listMeta(paging, Number(rows[0]?.total ?? 0)) });
      },
    }),
    operation({
      operationId: 'getAiService',
      method: 'get',
      path: '/ai-services/{id}',
      tags: ['ai-governance'],
      summary: "One AI service of the registry; with clientId, that client's approval of it and its use over 30 days",
      access: { permission: 'ai-service:read' },
      headers: ['X-Min-Position'],
      params: z.object({ id: Id }),
      query: z.object({ clientId: Id.optional() }),
      answers: {
        200: { description: 'The AI service', schema: resource(AiService) },
        404: { description: 'No such AI service', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const clientId = clientOfList(req.query.clientId, actor) ?? null;
        const row = await asTenant(readModels(deps.database), actor, (trx) =>
          registry(trx, clientId).where('s.ai_service_id', '=', req.params.id).executeTakeFirst(),
        );
        if (!row) throw notFound('AI service');
        res.json({ data: aiServiceOf(row), meta: {} });
      },
    }),
  ];
}
