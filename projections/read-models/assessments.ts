import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { AssessmentEvent } from '../../domain/assessments/assessment.js';
import type { Result } from '../../domain/assessments/scoring.js';
import { Id, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { aggregateIdOf, type Projection } from '../projection.js';

export const ASSESSMENT_STATUSES = ['in_progress', 'submitted'] as const;

/** A numeric column: the driver gives its text, to be read with Number(). */
type Numeric = string | number;

/** One row per assessment: what it assesses, at which catalog version, and its score once submitted. */
export interface AssessmentsTable {
  tenant_id: string;
  assessment_id: string;
  client_id: string;
  framework_id: string;
  catalog_version: string;
  title: string;
  status: (typeof ASSESSMENT_STATUSES)[number];
  score: Numeric | null;
  progress: Numeric | null;
  started_at: Date;
  submitted_at: Date | null;
}

/** One row per assessed requirement of an assessment: the latest answer. */
export interface AssessmentResultsTable {
  tenant_id: string;
  assessment_id: string;
  requirement_id: string;
  result: Result;
  score: Numeric | null;
  evidence_ids: string[];
}

export interface AssessmentsTables {
  assessments: AssessmentsTable;
  assessment_results: AssessmentResultsTable;
}

const numberOrNull = (value: Numeric | null): number | null => (value === null ? null : Number(value));

/** An assessment as the API lists it. */
export const Assessment = z
  .object({
    assessmentId: Id,
    clientId: z.string(),
    frameworkId: z.string(),
    catalogVersion: z.string().describe('The catalog version the assessment pinned when it started'),
    title: z.string(),
    status: z.enum(ASSESSMENT_STATUSES),
    score: z.number().nullable().describe("On the framework's scale, at submission"),
    progress: z.number().nullable(),
    startedAt: Timestamp,
    submittedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Assessment' });

/** The answer recorded for one requirement. */
export const AssessmentResult = z.object({
  requirementId: z.string(),
  result: z.string(),
  score: z.number().nullable(),
  evidenceIds: z.array(z.string()),
});

/** What the pinned catalog says of the requirement: its official citation, title and statement. */
export const RequirementFacts = z.object({
  citation: z
    .string()
    .nullable()
    .describe('The official citation (`§164.308(a)(1)`, `AC-2(1)` …); null if the pinned catalog is not shipped'),
  title: z.string().nullable(),
  statement: z.string().nullable().describe("What the requirement asks, in the source's words, where it has them"),
});

/** An assessment with its result per requirement, each with what the pinned catalog says of the requirement. */
export const AssessmentWithResults = Assessment.extend({
  results: z.array(AssessmentResult.extend(RequirementFacts.shape)),
}).meta({
  id: 'AssessmentWithResults',
});

export function assessmentOf(row: Selectable<AssessmentsTable>): z.output<typeof Assessment> {
  return {
    assessmentId: row.assessment_id,
    clientId: row.client_id,
    frameworkId: row.framework_id,
    catalogVersion: row.catalog_version,
    title: row.title,
    status: row.status,
    score: numberOrNull(row.score),
    progress: numberOrNull(row.progress),
    startedAt: new Date(row.started_at).toISOString(),
    submittedAt: row.submitted_at === null ? null : new Date(row.submitted_at).toISOString(),
  };
}

export function assessmentResultOf(
  row: Pick<Selectable<AssessmentResultsTable>, 'requirement_id' | 'result' | 'score' | 'evidence_ids'>,
): z.output<typeof AssessmentResult> {
  return {
    requirementId: row.requirement_id,
    result: row.result,
    score: numberOrNull(row.score),
    evidenceIds: row.evidence_ids,
  };
}

/** Assessments, their results per requirement, and the score and progress at submission. */
export const assessmentsProjection: Projection<AssessmentEvent> = {
  name: 'assessments',
  version: 1,
  canHandle: ['AssessmentStarted', 'RequirementAssessed', 'AssessmentSubmitted'],
  tables: ['assessments', 'assessment_results'],
  async apply(trx, events, table) {
    for (const event of events) {
      const tenantId = event.metadata.tenantId;
      const assessmentId = aggregateIdOf(event.streamId);
      const { type, data } = event;
      switch (type) {
        case 'AssessmentStarted':
          await sql`
            insert into ${sql.table(table('assessments'))} (tenant_id, assessment_id, client_id, framework_id, catalog_version, title, status, started_at)
            values (${tenantId}, ${assessmentId}, ${data.clientId}, ${data.frameworkId}, ${data.catalogVersion}, ${data.title}, 'in_progress', ${event.metadata.recordedAt})
            on conflict do nothing`.execute(trx);
          continue;
        case 'RequirementAssessed':
          await sql`
            insert into ${sql.table(table('assessment_results'))} (tenant_id, assessment_id, requirement_id, result, score, evidence_ids)
            values (${tenantId}, ${assessmentId}, ${data.requirementId}, ${data.result}, ${data.score}, ${data.evidenceIds}::text[])
            on conflict (tenant_id, assessment_id, requirement_id) do update set result = excluded.result, score = excluded.score, evidence_ids = excluded.evidence_ids`.execute(
            trx,
          );
          continue;
        case 'AssessmentSubmitted':
          await sql`
            update ${sql.table(table('assessments'))} set status = 'submitted', score = ${data.score}, progress = ${data.progress}, submitted_at = ${data.submittedAt}::timestamptz
            where tenant_id = ${tenantId} and assessment_id = ${assessmentId}`.execute(trx);
          continue;
      }
    }
  },
};
