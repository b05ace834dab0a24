import { sql } from 'kysely';
import type { EvidenceEvent } from '../../domain/evidence/evidence.js';
import { aggregateIdOf, type Projection } from '../projection.js';

/** Evidence files, their validity windows and the requirements they are mapped to. */
export const evidenceProjection: Projection<EvidenceEvent> = {
  name: 'evidence',
  version: 1,
  canHandle: ['EvidenceUploaded', 'EvidenceMapped', 'EvidenceRetired'],
  tables: ['evidence'],
  async apply(trx, events, table) {
    for (const event of events) {
      const evidence = sql.table(table('evidence'));
      const tenantId = event.metadata.tenantId;
      const { type, data } = event;
      switch (type) {
        case 'EvidenceUploaded':
          await sql`
            insert into ${evidence} (tenant_id, evidence_id, client_id, title, file_name, content_type, sha256, size, valid_from, expires_at, status, uploaded_by, uploaded_at)
            values (${tenantId}, ${data.evidenceId}, ${data.clientId}, ${data.title}, ${data.fileName}, ${data.contentType}, ${data.sha256}, ${data.size},
              ${data.validFrom}::timestamptz, ${data.expiresAt}::timestamptz, 'active', ${data.uploadedBy}, ${event.metadata.recordedAt}::timestamptz)
            on conflict do nothing`.execute(trx);
          continue;
        case 'EvidenceMapped':
          await sql`
            update ${evidence} set requirement_ids = (select array(select distinct unnest(requirement_ids || ${data.requirementIds}::text[]) order by 1))
            where tenant_id = ${tenantId} and evidence_id = ${aggregateIdOf(event.streamId)}`.execute(trx);
          continue;
        case 'EvidenceRetired':
          await sql`update ${evidence} set status = 'retired' where tenant_id = ${tenantId} and evidence_id = ${aggregateIdOf(event.streamId)}`.execute(
            trx,
          );
          continue;
      }
    }
  },
};
