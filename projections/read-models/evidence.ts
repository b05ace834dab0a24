import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import { freshness, FRESHNESS, type EvidenceEvent } from '../../domain/evidence/evidence.js';
import { Id, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { aggregateIdOf, type Projection } from '../projection.js';

/** The read model's table: one row per piece of evidence. Freshness is computed at read time. */
export interface EvidenceTable {
  tenant_id: string;
  evidence_id: string;
  client_id: string;
  title: string;
  file_name: string;
  content_type: string;
  sha256: string;
  /** bigint: a number where the driver parses int8 (pg here), a string elsewhere. */
  size: number | string;
  valid_from: Date;
  expires_at: Date;
  requirement_ids: string[];
  status: 'active' | 'retired';
  uploaded_by: string;
  uploaded_at: Date;
  /** Set by EvidenceRetired (migration 0022); the reason is null when none was given. */
  retired_at: Date | null;
  retired_by: string | null;
  retired_reason: string | null;
}

export interface EvidenceTables {
  evidence: EvidenceTable;
}

export { FRESHNESS };

/** A piece of evidence as the API shows it, with its freshness at the moment read. */
export const Evidence = z
  .object({
    evidenceId: Id,
    clientId: z.string(),
    title: z.string(),
    fileName: z.string(),
    contentType: z.string(),
    sha256: z.string(),
    size: z.int(),
    validFrom: Timestamp,
    expiresAt: Timestamp,
    requirementIds: z.array(z.string()),
    status: z.enum(['active', 'retired']),
    freshness: z.enum(FRESHNESS),
    uploadedBy: z.string(),
    uploadedAt: Timestamp,
    retirement: z
      .object({ retiredAt: Timestamp, retiredBy: z.string(), reason: z.string().nullable() })
      .nullable()
      .describe('When, by whom and why it was retired; null while active'),
  })
  .meta({ id: 'Evidence' });

/** Evidence with its freshness at `at` (now, or the moment an ?asOf read replayed to). */
export function evidenceOf(row: Selectable<EvidenceTable>, at = new Date().toISOString()): z.output<typeof Evidence> {
  const expiresAt = new Date(row.expires_at).toISOString();
  return {
    evidenceId: row.evidence_id,
    clientId: row.client_id,
    title: row.title,
    fileName: row.file_name,
    contentType: row.content_type,
    sha256: row.sha256,
    size: Number(row.size),
    validFrom: new Date(row.valid_from).toISOString(),
    expiresAt,
    requirementIds: row.requirement_ids,
    status: row.status,
    // Both times in one form (toISOString), which the domain compares as text.
    freshness: freshness({ status: row.status, expiresAt }, new Date(at).toISOString()),
    uploadedBy: row.uploaded_by,
    uploadedAt: new Date(row.uploaded_at).toISOString(),
    retirement:
      row.status === 'retired' && row.retired_at
        ? {
            retiredAt: new Date(row.retired_at).toISOString(),
            retiredBy: row.retired_by ?? '',
            reason: row.retired_reason,
          }
        : null,
  };
}

/** Evidence files, their validity windows and the requirements they are mapped to. */
export const evidenceProjection: Projection<EvidenceEvent> = {
  name: 'evidence',
  // 2: when, by whom and why evidence was retired (migration 0022).
  version: 2,
  canHandle: ['EvidenceUploaded', 'EvidenceMapped', 'EvidenceUnmapped', 'EvidenceRetired'],
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
        case 'EvidenceUnmapped':
          await sql`
            update ${evidence} set requirement_ids = (select array(select unnest(requirement_ids) except select unnest(${data.requirementIds}::text[]) order by 1))
            where tenant_id = ${tenantId} and evidence_id = ${aggregateIdOf(event.streamId)}`.execute(trx);
          continue;
        case 'EvidenceRetired':
          await sql`
            update ${evidence} set status = 'retired', retired_at = ${event.metadata.recordedAt}::timestamptz,
              retired_by = ${data.retiredBy}, retired_reason = ${data.reason ?? null}
            where tenant_id = ${tenantId} and evidence_id = ${aggregateIdOf(event.streamId)}`.execute(trx);
          continue;
      }
    }
  },
};
