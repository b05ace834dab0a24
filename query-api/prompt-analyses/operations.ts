import { sql } from 'kysely';
import { z } from 'zod';
import { ACTIONS } from '../../domain/ai-governance/client-ai-governance.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import {
  PromptAnalysis,
  promptAnalysesProjection,
  promptAnalysisOf,
} from '../../projections/read-models/prompt-analyses.js';
import { minPosition } from '../http/min-position.js';
import { clientOfList, listMeta, pageOf, readModels, timeRange, type ReadDeps } from '../http/reads.js';

/** GET /prompt-analyses: what each analysis found where, never the prompt (a client-scoped user sees its own). */
export function promptAnalysisReads(deps: ReadDeps & { waitMs: number }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [promptAnalysesProjection], deps.waitMs);
  return [
    operation({
      operationId: 'listPromptAnalyses',
      method: 'get',
      path: '/prompt-analyses',
      tags: ['ai-governance'],
      summary: 'Prompt analyses, newest first: what was found where (never the prompt), the decision and its reasons',
      access: { permission: 'violation:read' },
      headers: ['X-Min-Position'],
      query: Paging.extend(timeRange()).extend({
        clientId: Id.optional(),
        aiServiceId: Id.optional(),
        decision: z.enum(ACTIONS).optional(),
        entity: z.string().max(64).optional().describe('analyses that found this entity type'),
        conversationId: z.string().max(200).optional(),
      }),
      answers: { 200: { description: 'Analyses', schema: page(PromptAnalysis) } },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { from, to, aiServiceId, decision, entity, conversationId } = req.query;
        const clientId = clientOfList(req.query.clientId, actor);
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) => {
          let query = trx
            .selectFrom('prompt_analyses')
            .selectAll()
            .select(sql<string>`count(*) over ()`.as('total'));
          if (clientId) query = query.where('client_id', '=', clientId);
          if (decision) query = query.where('decision', '=', decision);
          if (aiServiceId) query = query.where('ai_service_id', '=', aiServiceId);
          if (conversationId !== undefined) query = query.where('conversation_id', '=', conversationId);
          if (entity) query = query.where(sql<boolean>`entity_counts ? ${entity}`);
          if (from) query = query.where('analysed_at', '>=', from);
          if (to) query = query.where('analysed_at', '<', to);
          return query
            .orderBy('analysed_at', 'desc')
            .orderBy('analysis_id')
            .limit(paging.size)
            .offset(paging.offset)
            .execute();
        });
        res.json({ data: rows.map(promptAnalysisOf), meta: listMeta(paging, Number(rows[0]?.total ?? 0)) });
      },
    }),
  ];
}
