import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import { SEVERITIES, VIOLATION_KINDS } from '../../domain/prompt-analysis/usage-policy.js';
import type { ViolationEvent, ViolationRecordedData } from '../../domain/violations/violation.js';
import { Id, Position, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import type { Projection } from '../projection.js';

/** The read model's table: one row per recorded violation. */
export interface ViolationsTable {
  tenant_id: string;
  violation_id: string;
  client_id: string;
  kind: ViolationRecordedData['kind'];
  severity: ViolationRecordedData['severity'];
  action: ViolationRecordedData['action'];
  ai_service_id: string | null;
  analysis_id: string | null;
  evidence_id: string | null;
  entity_counts: Record<string, number>;
  reasons: string[];
  occurred_at: Date;
  position: string;
}

export interface ViolationsTables {
  violations: ViolationsTable;
}

/** What was done about a violation: every action but letting the prompt through. */
export const VIOLATION_ACTIONS = [
  'warn',
  'redact',
  'block',
] as const satisfies readonly ViolationRecordedData['action'][];

/** A violation as the API shows it. */
export const Violation = z
  .object({
    violationId: Id,
    clientId: z.string(),
    kind: z.enum(VIOLATION_KINDS),
    severity: z.enum(SEVERITIES),
    action: z.enum(VIOLATION_ACTIONS),
    aiServiceId: z.string().nullable(),
    analysisId: z.string().nullable(),
    evidenceId: z.string().nullable(),
    entityCounts: z.record(z.string(), z.int()),
    reasons: z.array(z.string()),
    occurredAt: Timestamp,
    position: Position,
  })
  .meta({ id: 'Violation' });

/** A count per severity, every severity present (0 when none). */
export const SeverityCounts = z.object(
  Object.fromEntries(SEVERITIES.map((severity) => [severity, z.int()])) as Record<
    (typeof SEVERITIES)[number],
    z.ZodInt
  >,
);

/** Counts of nothing yet, per severity. */
export const noSeverities = () =>
  Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as z.output<typeof SeverityCounts>;

export function violationOf(row: Selectable<ViolationsTable>): z.output<typeof Violation> {
  return {
    violationId: row.violation_id,
    clientId: row.client_id,
    kind: row.kind,
    severity: row.severity,
    action: row.action,
    aiServiceId: row.ai_service_id,
    analysisId: row.analysis_id,
    evidenceId: row.evidence_id,
    entityCounts: row.entity_counts,
    reasons: row.reasons,
    occurredAt: new Date(row.occurred_at).toISOString(),
    position: row.position,
  };
}

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
