import { sql } from 'kysely';
import { z } from 'zod';
import { SEVERITIES, VIOLATION_KINDS } from '../../domain/prompt-analysis/usage-policy.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import {
  Violation,
  VIOLATION_ACTIONS,
  violationOf,
  violationsProjection,
} from '../../projections/read-models/violations.js';
import { minPosition } from '../http/min-position.js';
import { clientOfList, during, listMeta, pageOf, readModels, timeRange, type ReadDeps } from '../http/reads.js';

/** GET /violations: what the usage policies caught, and evidence that expired under a submitted assessment. */
export function violationReads(deps: ReadDeps & { waitMs: number }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [violationsProjection], deps.waitMs);
  return [
    operation({
      operationId: 'listViolations',
      method: 'get',
      path: '/violations',
      tags: ['violations'],
      summary: 'Violations, newest first: sensitive data in prompts, unapproved AI services, expired evidence',
      access: { permission: 'violation:read' },
      headers: ['X-Min-Position'],
      query: Paging.extend(timeRange()).extend({
        clientId: Id.optional(),
        severity: z.enum(SEVERITIES).optional(),
        kind: z.enum(VIOLATION_KINDS).optional(),
        action: z.enum(VIOLATION_ACTIONS).optional(),
        aiServiceId: Id.optional(),
        sort: z.enum(['occurredAt', '-occurredAt']).optional(),
      }),
      answers: { 200: { description: 'Violations', schema: page(Violation) } },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { severity, kind, action, aiServiceId, sort } = req.query;
        const clientId = clientOfList(req.query.clientId, actor);
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) => {
          let query = trx
            .selectFrom('violations')
            .selectAll()
            .select(sql<string>`count(*) over ()`.as('total'))
            .where(during('occurred_at', req.query));
          if (clientId) query = query.where('client_id', '=', clientId);
          if (severity) query = query.where('severity', '=', severity);
          if (kind) query = query.where('kind', '=', kind);
          if (action) query = query.where('action', '=', action);
          if (aiServiceId) query = query.where('ai_service_id', '=', aiServiceId);
          return query
            .orderBy('occurred_at', sort === 'occurredAt' ? 'asc' : 'desc')
            .orderBy('violation_id')
            .limit(paging.size)
            .offset(paging.offset)
            .execute();
        });
        res.json({ data: rows.map(violationOf), meta: listMeta(paging, Number(rows[0]?.total ?? 0)) });
      },
    }),
  ];
}
