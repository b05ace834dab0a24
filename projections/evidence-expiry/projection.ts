import { sql } from 'kysely';
import type { ViolationRecordedData } from '../../domain/violations/violation.js';
import { aggregateIdOf, type Projection } from '../runner.js';

/** Evidence expiry dates, the assessments citing each piece, and which assessments are submitted. */
export const evidenceWatchProjection: Projection = {
  name: 'evidence-watch',
  version: 1,
  types: ['EvidenceUploaded', 'EvidenceRetired', 'RequirementAssessed', 'AssessmentSubmitted', 'ViolationRecorded'],
  tables: ['evidence_watch', 'evidence_watch_citations', 'evidence_watch_submissions'],
  async apply(trx, event, table) {
    const watch = sql.table(table('evidence_watch'));
    const citations = sql.table(table('evidence_watch_citations'));
    const submissions = sql.table(table('evidence_watch_submissions'));
    const tenantId = event.metadata.tenantId;
    const data = event.data as Record<string, unknown>;
    switch (event.type) {
      case 'EvidenceUploaded':
        await sql`
          insert into ${watch} (tenant_id, evidence_id, client_id, title, expires_at)
          values (${tenantId}, ${String(data.evidenceId)}, ${String(data.clientId)}, ${String(data.title)}, ${String(data.expiresAt)}::timestamptz)
          on conflict (tenant_id, evidence_id) do nothing`.execute(trx);
        return;
      case 'EvidenceRetired':
        await sql`update ${watch} set active = false where tenant_id = ${tenantId} and evidence_id = ${aggregateIdOf(event.streamId)}`.execute(
          trx,
        );
        return;
      case 'RequirementAssessed':
        await sql`
          insert into ${citations} (tenant_id, assessment_id, requirement_id, evidence_ids)
          values (${tenantId}, ${aggregateIdOf(event.streamId)}, ${String(data.requirementId)}, ${(data.evidenceIds as string[]) ?? []}::text[])
          on conflict (tenant_id, assessment_id, requirement_id) do update set evidence_ids = excluded.evidence_ids`.execute(
          trx,
        );
        return;
      case 'AssessmentSubmitted':
        await sql`
          insert into ${submissions} (tenant_id, assessment_id, submitted_at)
          values (${tenantId}, ${aggregateIdOf(event.streamId)}, ${event.metadata.recordedAt}::timestamptz)
          on conflict do nothing`.execute(trx);
        return;
      case 'ViolationRecorded': {
        const violation = event.data as ViolationRecordedData;
        if (violation.kind === 'evidence-expired' && violation.evidenceId) {
          await sql`update ${watch} set violation_recorded = true where tenant_id = ${tenantId} and evidence_id = ${violation.evidenceId}`.execute(
            trx,
          );
        }
        return;
      }
    }
  },
};
