import { sql } from 'kysely';
import { z } from 'zod';
import { SEVERITIES, VIOLATION_KINDS } from '../../domain/prompt-analysis/usage-policy.js';
import { VIOLATION_STATUSES, violationStream } from '../../domain/violations/workflow.js';
import { etagOf, etagPosition } from '../../infrastructure/http/contract/etag.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commaList, Id, page, Paging, resource } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import {
  historyOf,
  Violation,
  VIOLATION_ACTIONS,
  ViolationDetail,
  violationOf,
  violationsProjection,
  type ViolationsTable,
} from '../../projections/read-models/violations.js';
import type { Selectable } from 'kysely';
import { minPosition } from '../http/min-position.js';
import {
  AsOf,
  clientOfList,
  during,
  listMeta,
  ownedBy,
  pageOf,
  readAt,
  readModels,
  timeRange,
  type ReadDeps,
} from '../http/reads.js';

/** Entity types, one or several comma-separated (`PERSON,US_SSN`): violations that acted on any of them. */
const EntityList = z
  .string()
  .regex(
    /^[A-Z][A-Z0-9_]{0,63}(,[A-Z][A-Z0-9_]{0,63}){0,19}$/,
    'entity types such as PERSON or US_SSN, comma-separated',
  )
  .transform((value) => [...new Set(value.split(','))])
  .describe('violations that acted on any of these entity types, comma-separated (PERSON,US_SSN)');

/** GET /violations, GET /violations/{id}: what the usage policies caught, and evidence that expired. */
export function violationReads(deps: ReadDeps & { waitMs: number; vault: PersonalDataVault }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [violationsProjection], deps.waitMs);
  /** The row as the API shows it, the user reference opened (or "[erased]"). */
  const shown = async (row: Selectable<ViolationsTable>) =>
    violationOf(row, row.user_ref ? await deps.vault.reveal(row.user_ref as unknown as string) : null);
  return [
    operation({
      operationId: 'listViolations',
      method: 'get',
      path: '/violations',
      tags: ['violations'],
      summary: 'Violations, newest first: sensitive data in prompts, unapproved AI services, expired evidence',
      description:
        'Filters take one value or several, comma-separated (severity=high,critical): a violation matches any of them.',
      access: { permission: 'violation:read' },
      headers: ['X-Min-Position'],
      query: Paging.extend(timeRange()).extend({
        clientId: Id.optional(),
        severity: commaList(SEVERITIES, 'severity').optional(),
        status: commaList(VIOLATION_STATUSES, 'status').optional(),
        kind: commaList(VIOLATION_KINDS, 'kind').optional(),
        action: commaList(VIOLATION_ACTIONS, 'action').optional(),
        entity: EntityList.optional(),
        aiServiceId: Id.optional(),
        assigneeId: Id.optional(),
        sort: z.enum(['occurredAt', '-occurredAt']).optional(),
      }),
      answers: { 200: { description: 'Violations', schema: page(Violation) } },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { severity, status, kind, action, entity, aiServiceId, assigneeId, sort } = req.query;
        const clientId = clientOfList(req.query.clientId, actor);
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) => {
          let query = trx
            .selectFrom('violations')
            .selectAll()
            .select(sql<string>`count(*) over ()`.as('total'))
            .where(during('occurred_at', req.query));
          if (clientId) query = query.where('client_id', '=', clientId);
          if (severity) query = query.where('severity', 'in', severity);
          if (status) query = query.where('status', 'in', status);
          if (kind) query = query.where('kind', 'in', kind);
          if (action) query = query.where('action', 'in', action);
          if (entity) query = query.where(sql<boolean>`entity_counts ?| ${sql.val(entity)}::text[]`);
          if (aiServiceId) query = query.where('ai_service_id', '=', aiServiceId);
          if (assigneeId) query = query.where('assignee_id', '=', assigneeId);
          return query
            .orderBy('occurred_at', sort === 'occurredAt' ? 'asc' : 'desc')
            .orderBy('violation_id')
            .limit(paging.size)
            .offset(paging.offset)
            .execute();
        });
        res.json({
          data: await Promise.all(rows.map(({ total: _total, ...row }) => shown(row))),
          meta: listMeta(paging, Number(rows[0]?.total ?? 0)),
        });
      },
    }),
    operation({
      operationId: 'getViolation',
      method: 'get',
      path: '/violations/{id}',
      tags: ['violations'],
      summary: 'One violation with its status, assignee, timeline and comments; now or as it was at asOf',
      description:
        'Its ETag counts the workflow steps and comments recorded for it: "0" for a violation no one has acted on yet, which the workflow commands take as If-Match like any other.',
      access: { permission: 'violation:read' },
      headers: ['X-Min-Position'],
      params: z.object({ id: Id }),
      etag: ({ id }, tenantId) => violationStream(tenantId, id),
      query: z.object({ asOf: AsOf }),
      answers: {
        200: { description: 'The violation', schema: resource(ViolationDetail) },
        404: { description: 'No such violation in your tenant (or of your client)', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const violationId = req.params.id;
        const answer = await readAt(
          deps,
          actor,
          req.query.asOf,
          // A violation's life spans the stream it was raised in and its own: replayed from the tenant's log.
          { projections: [violationsProjection] },
          async (trx) => {
            const row = ownedBy(
              actor,
              await trx.selectFrom('violations').selectAll().where('violation_id', '=', violationId).executeTakeFirst(),
              'violation',
            );
            const activity = await trx
              .selectFrom('violation_activity')
              .selectAll()
              .where('violation_id', '=', violationId)
              .orderBy('position')
              .execute();
            return { row, activity };
          },
        );
        const { row, activity } = answer.data;
        // Its workflow stream begins with the first step: until then (checked after the read, so that the answer
        // shows no step the ETag does not count) the violation is at ETag "0".
        if (req.query.asOf === undefined && etagPosition(res) === undefined) {
          const stream = violationStream(actor.tenantId, violationId);
          const [last] = await deps.eventStore.readStream(stream, { direction: 'backwards', maxCount: 1 });
          if (!last) res.setHeader('ETag', etagOf(-1));
        }
        res.json({ data: { ...(await shown(row)), ...historyOf(row, activity) }, meta: answer.meta });
      },
    }),
  ];
}
