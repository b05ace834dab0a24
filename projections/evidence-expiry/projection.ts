import type { EvidenceEvent } from '../../domain/evidence/evidence.js';
import type { AssessmentEvent } from '../../domain/assessments/assessment.js';
import type { ViolationEvent } from '../../domain/violations/violation.js';
import { sql } from 'kysely';
import { aggregateIdOf, type Projection } from '../projection.js';

/**
 * Evidence expiry dates and the requirements each piece is mapped to, the assessments citing each piece, and which
 * assessments (of which client) are submitted.
 */
export const evidenceWatchProjection: Projection<EvidenceEvent | AssessmentEvent | ViolationEvent> = {
  name: 'evidence-watch',
  version: 2,
  canHandle: [
    'EvidenceUploaded',
    'EvidenceMapped',
    'EvidenceUnmapped',
    'EvidenceRetired',
    'RequirementAssessed',
    'AssessmentSubmitted',
    'ViolationRecorded',
  ],
  tables: ['evidence_watch', 'evidence_watch_citations', 'evidence_watch_submissions'],
  async apply(trx, events, table) {
    for (const event of events) {
      const watch = sql.table(table('evidence_watch'));
      const citations = sql.table(table('evidence_watch_citations'));
      const submissions = sql.table(table('evidence_watch_submissions'));
      const tenantId = event.metadata.tenantId;
      switch (event.type) {
        case 'EvidenceUploaded':
          await sql`
            insert into ${watch} (tenant_id, evidence_id, client_id, title, expires_at)
            values (${tenantId}, ${event.data.evidenceId}, ${event.data.clientId}, ${event.data.title}, ${event.data.expiresAt}::timestamptz)
            on conflict (tenant_id, evidence_id) do nothing`.execute(trx);
          continue;
        case 'EvidenceMapped':
          await sql`
            update ${watch} set requirement_ids = (select array(select distinct unnest(requirement_ids || ${event.data.requirementIds}::text[]) order by 1))
            where tenant_id = ${tenantId} and evidence_id = ${aggregateIdOf(event.streamId)}`.execute(trx);
          continue;
        case 'EvidenceUnmapped':
          await sql`
            update ${watch} set requirement_ids = (select array(select unnest(requirement_ids) except select unnest(${event.data.requirementIds}::text[]) order by 1))
            where tenant_id = ${tenantId} and evidence_id = ${aggregateIdOf(event.streamId)}`.execute(trx);
          continue;
        case 'EvidenceRetired':
          await sql`update ${watch} set active = false where tenant_id = ${tenantId} and evidence_id = ${aggregateIdOf(event.streamId)}`.execute(
            trx,
          );
          continue;
        case 'RequirementAssessed':
          await sql`
            insert into ${citations} (tenant_id, assessment_id, requirement_id, evidence_ids)
            values (${tenantId}, ${aggregateIdOf(event.streamId)}, ${event.data.requirementId}, ${event.data.evidenceIds ?? []}::text[])
            on conflict (tenant_id, assessment_id, requirement_id) do update set evidence_ids = excluded.evidence_ids`.execute(
            trx,
          );
          continue;
        case 'AssessmentSubmitted':
          await sql`
            insert into ${submissions} (tenant_id, assessment_id, submitted_at, client_id)
            values (${tenantId}, ${aggregateIdOf(event.streamId)}, ${event.metadata.recordedAt}::timestamptz, ${event.metadata.clientId ?? null})
            on conflict do nothing`.execute(trx);
          continue;
        case 'ViolationRecorded': {
          const violation = event.data;
          if (violation.kind === 'evidence-expired' && violation.evidenceId) {
            await sql`update ${watch} set violation_recorded = true where tenant_id = ${tenantId} and evidence_id = ${violation.evidenceId}`.execute(
              trx,
            );
          }
          continue;
        }
      }
    }
  },
};
