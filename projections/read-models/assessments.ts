import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { AssessmentEvent } from '../../domain/assessments/assessment.js';
import type { Coverage, Result, SubmissionWarning } from '../../domain/assessments/scoring.js';
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
  /** Coverage and warnings as recorded at submission (null before, and for submissions recorded before coverage). */
  submitted_coverage: Coverage | null;
  submission_warnings: SubmissionWarning[] | null;
}

/** One row per assessed requirement of an assessment: the latest answer. */
export interface AssessmentResultsTable {
  tenant_id: string;
  assessment_id: string;
  requirement_id: string;
  result: Result;
  score: Numeric | null;
  evidence_ids: string[];
  /** The assessor's note. */
  note: string | null;
}

export interface AssessmentsTables {
  assessments: AssessmentsTable;
  assessment_results: AssessmentResultsTable;
}

const numberOrNull = (value: Numeric | null): number | null => (value === null ? null : Number(value));

/** How much of the catalog a score rests on. */
export const CoverageSchema = z
  .object({
    answered: z.int().describe('requirements with a result other than not_assessed (not_applicable included)'),
    total: z.int().describe('every requirement of the pinned catalog'),
    ratio: z.number().describe('answered ÷ total, 0–1'),
  })
  .meta({ id: 'Coverage' });

/** What a submission warned about. */
export const SubmissionWarningSchema = z
  .object({ code: z.enum(['low-coverage']), message: z.string() })
  .meta({ id: 'SubmissionWarning' });

/** An assessment as the API lists it. */
export const Assessment = z
  .object({
    assessmentId: Id,
    clientId: z.string(),
    frameworkId: z.string(),
    catalogVersion: z.string().describe('The catalog version the assessment pinned when it started'),
    title: z.string(),
    status: z.enum(ASSESSMENT_STATUSES),
    score: z
      .number()
      .nullable()
      .describe(
        "On the framework's scale, scored at the moment read (now, or asOf) as the compliance report and the MSP summary score it",
      ),
    submittedScore: z.number().nullable().describe('The score recorded at submission'),
    progress: z.number().nullable(),
    coverage: CoverageSchema,
    flagged: z.array(z.string()).describe('Compliant requirements whose evidence had all expired: scored as partial'),
    basis: z.enum(['recomputed', 'as-submitted']),
    warnings: z.array(SubmissionWarningSchema).describe('What the submission warned about'),
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
  note: z.string().nullable().describe("The assessor's note"),
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

/** The score of an assessment at the moment read (see query-api/compliance/score-at.ts). */
export interface ScoredAt {
  score: number | null;
  progress: number;
  coverage: Coverage;
  flagged: string[];
  basis: 'recomputed' | 'as-submitted';
}

export function assessmentOf(row: Selectable<AssessmentsTable>, scored: ScoredAt): z.output<typeof Assessment> {
  return {
    assessmentId: row.assessment_id,
    clientId: row.client_id,
    frameworkId: row.framework_id,
    catalogVersion: row.catalog_version,
    title: row.title,
    status: row.status,
    score: scored.score,
    submittedScore: numberOrNull(row.score),
    progress: scored.progress,
    coverage: scored.coverage,
    flagged: scored.flagged,
    basis: scored.basis,
    warnings: row.submission_warnings ?? [],
    startedAt: new Date(row.started_at).toISOString(),
    submittedAt: row.submitted_at === null ? null : new Date(row.submitted_at).toISOString(),
  };
}

export function assessmentResultOf(
  row: Pick<Selectable<AssessmentResultsTable>, 'requirement_id' | 'result' | 'score' | 'evidence_ids' | 'note'>,
): z.output<typeof AssessmentResult> {
  return {
    requirementId: row.requirement_id,
    result: row.result,
    score: numberOrNull(row.score),
    evidenceIds: row.evidence_ids,
    note: row.note ?? null,
  };
}

/** Assessments, their results per requirement (with the assessor's note), and the score, progress, coverage and warnings at submission. */
export const assessmentsProjection: Projection<AssessmentEvent> = {
  name: 'assessments',
  version: 2,
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
            insert into ${sql.table(table('assessment_results'))} (tenant_id, assessment_id, requirement_id, result, score, evidence_ids, note)
            values (${tenantId}, ${assessmentId}, ${data.requirementId}, ${data.result}, ${data.score}, ${data.evidenceIds}::text[], ${data.note ?? null})
            on conflict (tenant_id, assessment_id, requirement_id) do update set result = excluded.result, score = excluded.score, evidence_ids = excluded.evidence_ids, note = excluded.note`.execute(
            trx,
          );
          continue;
        case 'AssessmentSubmitted':
          await sql`
            update ${sql.table(table('assessments'))} set status = 'submitted', score = ${data.score}, progress = ${data.progress}, submitted_at = ${data.submittedAt}::timestamptz,
              submitted_coverage = ${data.coverage ? JSON.stringify(data.coverage) : null}::jsonb, submission_warnings = ${data.warnings ? JSON.stringify(data.warnings) : null}::jsonb
            where tenant_id = ${tenantId} and assessment_id = ${assessmentId}`.execute(trx);
          continue;
      }
    }
  },
};
