import type { ViolationEvent } from '../../domain/violations/violation.js';
import { sql } from 'kysely';
import type { Projection } from '../projection.js';

/** Every violation, for GET /violations and the MSP summary. */
export const violationsProjection: Projection<ViolationEvent> = {
  name: 'violations',
  version: 1,
  canHandle: ['ViolationRecorded'],
  tables: ['violations'],
  async apply(trx, events, table) {
    // One array per column through unnest (see the audit log): few parameters, fast to bind.
    const v = (e: (typeof events)[number]) => e.data;
    const column = <T>(f: (e: (typeof events)[number]) => T) => events.map(f);
    await sql`
      insert into ${sql.table(table('violations'))}
        (tenant_id, violation_id, client_id, kind, severity, action, ai_service_id, analysis_id, evidence_id, entity_counts, reasons, occurred_at, position)
      select tenant_id, violation_id::uuid, client_id, kind, severity, action, ai_service_id, analysis_id, evidence_id, entity_counts::jsonb, reasons::jsonb, occurred_at::timestamptz, position
      from unnest(
        ${column((e) => e.metadata.tenantId)}::text[], ${column((e) => e.id)}::text[], ${column((e) => v(e).clientId)}::text[], ${column((e) => v(e).kind)}::text[],
        ${column((e) => v(e).severity)}::text[], ${column((e) => v(e).action)}::text[], ${column((e) => v(e).aiServiceId ?? null)}::text[],
        ${column((e) => v(e).analysisId ?? null)}::text[], ${column((e) => v(e).evidenceId ?? null)}::text[], ${column((e) => JSON.stringify(v(e).entityCounts))}::text[],
        ${column((e) => JSON.stringify(v(e).reasons))}::text[], ${column((e) => e.metadata.recordedAt)}::text[], ${column((e) => e.position)}::text[]
      ) as t(tenant_id, violation_id, client_id, kind, severity, action, ai_service_id, analysis_id, evidence_id, entity_counts, reasons, occurred_at, position)
      on conflict (tenant_id, violation_id) do nothing`.execute(trx);
  },
};
