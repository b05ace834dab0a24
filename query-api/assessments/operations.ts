import { sql } from 'kysely';
import { z } from 'zod';
import { FRAMEWORK_IDS } from '../../domain/frameworks/catalog.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging, resource } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import {
  Assessment,
  ASSESSMENT_STATUSES,
  assessmentOf,
  assessmentResultOf,
  assessmentsProjection,
  AssessmentWithResults,
} from '../../projections/read-models/assessments.js';
import { evidenceProjection } from '../../projections/read-models/evidence.js';
import { answersOf } from '../compliance/score-at.js';
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

const read = { permission: 'assessment:read' } as const;

/** GET /assessments and /assessments/{id}: assessments, and the result of each requirement. */
export function assessmentReads(deps: ReadDeps & { waitMs: number }) {
  const caughtUp = minPosition(
    deps.database,
    deps.eventStore,
    [assessmentsProjection, evidenceProjection],
    deps.waitMs,
  );
  return [
    operation({
      operationId: 'listAssessments',
      method: 'get',
      path: '/assessments',
      tags: ['assessments'],
      summary: 'Assessments, most recently started first (or by score)',
      access: read,
      headers: ['X-Min-Position'],
      query: Paging.extend({
        ...timeRange(),
        clientId: Id.optional(),
        frameworkId: z.enum(FRAMEWORK_IDS).optional(),
        status: z.enum(ASSESSMENT_STATUSES).optional(),
        sort: z.enum(['startedAt', 'score']).optional(),
      }),
      answers: { 200: { description: 'Assessments', schema: page(Assessment) } },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { status, frameworkId, from, to, sort } = req.query;
        const clientId = clientOfList(req.query.clientId, actor);
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) => {
          let query = trx
            .selectFrom('assessments')
            .selectAll()
            .select(sql<number>`count(*) over ()`.as('total'));
          if (from) query = query.where('started_at', '>=', from);
          if (to) query = query.where('started_at', '<', to);
          if (clientId) query = query.where('client_id', '=', clientId);
          if (status) query = query.where('status', '=', status);
          if (frameworkId) query = query.where('framework_id', '=', frameworkId);
          query =
            sort === 'score'
              ? query.orderBy('score', (order) => order.desc().nullsLast()).orderBy('assessment_id')
              : query.orderBy('started_at', 'desc').orderBy('assessment_id');
          return query.limit(paging.size).offset(paging.offset).execute();
        });
        res.json({ data: rows.map(assessmentOf), meta: listMeta(paging, Number(rows[0]?.total ?? 0)) });
      },
    }),
    operation({
      operationId: 'getAssessment',
      method: 'get',
      path: '/assessments/{id}',
      tags: ['assessments'],
      summary: 'One assessment with its result per requirement, now or as it was at asOf',
      access: read,
      headers: ['X-Min-Position'],
      params: z.object({ id: Id }),
      query: z.object({ asOf: AsOf }),
      answers: {
        200: { description: 'The assessment', schema: resource(AssessmentWithResults) },
        404: { description: 'No such assessment', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const assessmentId = req.params.id;
        // The evidence mapped to its requirements is the client's: at asOf, the tenant's log is replayed for it.
        const target = { projections: [assessmentsProjection, evidenceProjection] };
        res.json(
          await readAt(deps, actor, req.query.asOf, target, async (trx) => {
            const row = await trx
              .selectFrom('assessments')
              .selectAll()
              .where('assessment_id', '=', assessmentId)
              .executeTakeFirst();
            const assessment = ownedBy(actor, row, 'assessment');
            // Each result's evidence: what it names and what is mapped to its requirement (POST /evidence/{id}/map).
            const { results } = await answersOf(trx, assessmentId);
            results.sort((a, b) =>
              a.requirement_id < b.requirement_id ? -1 : a.requirement_id > b.requirement_id ? 1 : 0,
            );
            return { ...assessmentOf(assessment), results: results.map(assessmentResultOf) };
          }),
        );
      },
    }),
  ];
}
