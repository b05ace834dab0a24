import type { Transaction } from 'kysely';
import { z } from 'zod';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { ListMeta, Paging, Position, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { gatewayRequestsProjection } from '../../projections/read-models/gateway-requests.js';
import type { ReadModels } from '../../projections/read-models/tables.js';
import { scopeOf } from '../history/client-scope.js';
import { minPosition } from '../http/min-position.js';
import { AsOf, pageOfItems, readModels, type ReadDeps } from '../http/reads.js';
import { atMoment, parseAsOf } from '../point-in-time/replay.js';
import { ClientSummary, SUMMARY_PROJECTIONS, summaryAt } from './summary.js';

/** GET /msp/summary, now or as of ?asOf (the tenant's log replayed up to then by the same projections). */
export function mspReads(deps: ReadDeps & { waitMs: number }) {
  const { database, eventStore } = deps;
  return [
    operation({
      operationId: 'mspSummary',
      method: 'get',
      path: '/msp/summary',
      tags: ['msp'],
      summary:
        'For each active client: latest compliance score per framework and its trend, violations by severity (24 h, 7 d, 30 d), AI usage by service, requests through the AI gateway this month, policies by status, evidence expiring soon; now or as it was at asOf',
      description:
        "A score is the latest submitted assessment's, recomputed at the moment read (now, or asOf) over the catalog version the assessment pinned and the freshness of its linked evidence at that moment: compliant requirements whose evidence has all expired count as partially compliant (listed in `flagged`). `submittedScore` is the score recorded at submission; `trend` compares the score with the previous assessment's.",
      access: { permission: 'client:read' },
      headers: ['X-Min-Position'],
      query: Paging.extend({ asOf: AsOf }),
      answers: {
        200: {
          description: 'The summary, a page of clients by name',
          schema: z.object({
            data: z.array(ClientSummary),
            meta: ListMeta.extend({
              generatedAt: Timestamp,
              asOf: Timestamp.optional(),
              position: Position.nullable().optional(),
              eventsReplayed: z.int().optional(),
            }),
          }),
        },
      },
      before: [minPosition(database, eventStore, [...SUMMARY_PROJECTIONS, gatewayRequestsProjection], deps.waitMs)],
      async handler(req, res) {
        const actor = authOf(res);
        if (req.query.asOf === undefined) {
          const at = new Date().toISOString();
          const data = await asTenant(readModels(database), actor, (trx) => summaryAt(trx, at, actor.clientId));
          const paged = pageOfItems(data, req.query);
          res.json({ data: paged.data, meta: { generatedAt: at, ...paged.meta } });
          return;
        }
        const { data, moment } = await atMoment(
          database,
          eventStore,
          {
            tenantId: actor.tenantId,
            asOf: parseAsOf(req.query.asOf),
            projections: SUMMARY_PROJECTIONS,
            reader: scopeOf(eventStore, actor),
          },
          async (trx: Transaction<ReadModels>, moment) => ({
            data: await summaryAt(trx, moment.at, actor.clientId),
            moment,
          }),
        );
        const paged = pageOfItems(data, req.query);
        res.json({
          data: paged.data,
          meta: {
            generatedAt: new Date().toISOString(),
            asOf: moment.at,
            position: moment.position,
            eventsReplayed: moment.events,
            ...paged.meta,
          },
        });
      },
    }),
  ];
}
