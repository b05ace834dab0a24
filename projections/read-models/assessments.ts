import { sql } from 'kysely';
import type { AssessmentEvent } from '../../domain/assessments/assessment.js';
import { aggregateIdOf, type Projection } from '../projection.js';

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
