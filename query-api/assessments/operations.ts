import { sql } from 'kysely';
import { z } from 'zod';
import { assessmentStream } from '../../domain/assessments/assessment.js';
import { catalogAt, FRAMEWORK_IDS, requirementFacts, type FrameworkId } from '../../domain/frameworks/index.js';
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
import { answersOf, answersOfMany, scoreAt } from '../compliance/score-at.js';
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
      summary: 'Assessments, most recently started first (or by the score at submission)',
      description:
        'Each with its score and coverage scored now, as GET /assessments/{id}, the compliance report and the MSP summary score it; `submittedScore` is the one recorded at submission.',
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
        const rows = await asTenant(readModels(deps.database), actor, async (trx) => {
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
          const page = await query.limit(paging.size).offset(paging.offset).execute();
          const at = new Date().toISOString();
          const answers = await answersOfMany(
            trx,
            page.map((row) => row.assessment_id),
          );
          return Promise.all(
            page.map(async (row) => ({
              row,
              scored: await scoreAt(trx, row, at, answers.get(row.assessment_id)),
            })),
          );
        });
        res.json({
          data: rows.map(({ row, scored }) => assessmentOf(row, scored)),
          meta: listMeta(paging, Number(rows[0]?.row.total ?? 0)),
        });
      },
    }),
    operation({
      operationId: 'getAssessment',
      method: 'get',
      path: '/assessments/{id}',
      tags: ['assessments'],
      summary: 'One assessment with its result and note per requirement, now or as it was at asOf',
      description:
        'The score and coverage are scored at the moment read, with the evidence freshness of that moment, by the same function as the compliance report and the MSP summary: at the same asOf the three agree.',
      access: read,
      headers: ['X-Min-Position'],
      params: z.object({ id: Id }),
      etag: ({ id }, tenantId) => assessmentStream(tenantId, id),
      query: z.object({ asOf: AsOf }),
      answers: {
        200: { description: 'The assessment', schema: resource(AssessmentWithResults) },
        404: { description: 'No such assessment', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const assessmentId = req.params.id;
        // As of a moment, the tenant's log is replayed: the evidence's freshness then, and what was mapped to each
        // requirement then.
        const target = { projections: [assessmentsProjection, evidenceProjection] };
        res.json(
          await readAt(deps, actor, req.query.asOf, target, async (trx, at) => {
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
            const scored = await scoreAt(trx, assessment, at);
            const catalog = catalogAt(assessment.framework_id as FrameworkId, assessment.catalog_version);
            return {
              ...assessmentOf(assessment, scored),
              results: results.map((r) => ({
                ...assessmentResultOf(r),
                ...requirementFacts(catalog, r.requirement_id),
              })),
            };
          }),
        );
      },
    }),
  ];
}
