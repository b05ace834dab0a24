import { sql } from 'kysely';
import type { EvidenceEvent } from '../../domain/evidence/evidence.js';
import { aggregateIdOf, type Projection } from '../runner.js';

/** Evidence files, their validity windows and the requirements they are mapped to. */
export const evidenceProjection: Projection = {
  name: 'evidence',
  version: 1,
  types: ['EvidenceUploaded', 'EvidenceMapped', 'EvidenceRetired'],
  tables: ['evidence'],
  async apply(trx, event, table) {
    const evidence = sql.table(table('evidence'));
    const tenantId = event.metadata.tenantId;
    const { type, data } = event as unknown as EvidenceEvent;
    switch (type) {
      case 'EvidenceUploaded':
        await sql`
          insert into ${evidence} (tenant_id, evidence_id, client_id, title, file_name, content_type, sha256, size, valid_from, expires_at, status, uploaded_by, uploaded_at)
          values (${tenantId}, ${data.evidenceId}, ${data.clientId}, ${data.title}, ${data.fileName}, ${data.contentType}, ${data.sha256}, ${data.size},
            ${data.validFrom}::timestamptz, ${data.expiresAt}::timestamptz, 'active', ${data.uploadedBy}, ${event.metadata.recordedAt}::timestamptz)
          on conflict do nothing`.execute(trx);
        return;
      case 'EvidenceMapped':
        await sql`
          update ${evidence} set requirement_ids = (select array(select distinct unnest(requirement_ids || ${data.requirementIds}::text[]) order by 1))
          where tenant_id = ${tenantId} and evidence_id = ${aggregateIdOf(event.streamId)}`.execute(trx);
        return;
      case 'EvidenceRetired':
        await sql`update ${evidence} set status = 'retired' where tenant_id = ${tenantId} and evidence_id = ${aggregateIdOf(event.streamId)}`.execute(
          trx,
        );
        return;
    }
  },
};
