import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { CommandRefusedData } from '../../domain/audit/command-refused.js';
import type { RecordedEvent } from '../../infrastructure/event-store/types.js';
import { Id, Position, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { canonicalIp } from '../../infrastructure/ip-address.js';
import type { Projection } from '../projection.js';

export const AUDIT_OUTCOMES = ['recorded', 'refused'] as const;

/** The read model's table: one row per event of the log (its position is the key). */
export interface AuditLogTable {
  tenant_id: string;
  position: string;
  event_id: string;
  stream_id: string;
  event_type: string;
  actor_id: string;
  correlation_id: string;
  ip: string | null;
  recorded_at: Date;
  outcome: (typeof AUDIT_OUTCOMES)[number];
  /** For a refused command: what was asked and why it was refused. */
  refusal: CommandRefusedData | null;
}

export interface AuditLogTables {
  audit_log: AuditLogTable;
}

const Refusal = z.object({
  method: z.string(),
  path: z.string(),
  status: z.int(),
  problem: z.string(),
  title: z.string(),
  detail: z.string().nullable(),
  fields: z.array(z.string()),
}) satisfies z.ZodType<CommandRefusedData>;

/** One audit entry: a recorded event, or a refused command with what was asked and why it was refused. */
export const AuditEntry = z
  .object({
    position: Position,
    eventId: Id,
    streamId: z.string(),
    type: z.string(),
    actorId: z.string(),
    correlationId: z.string(),
    ip: z.string().nullable(),
    recordedAt: Timestamp,
    outcome: z.enum(AUDIT_OUTCOMES),
    refusal: Refusal.nullable(),
  })
  .meta({ id: 'AuditEntry' });

export function auditEntryOf(row: Selectable<AuditLogTable>): z.output<typeof AuditEntry> {
  return {
    position: row.position,
    eventId: row.event_id,
    streamId: row.stream_id,
    type: row.event_type,
    actorId: row.actor_id,
    correlationId: row.correlation_id,
    ip: row.ip,
    recordedAt: new Date(row.recorded_at).toISOString(),
    outcome: row.outcome,
    refusal: row.refusal,
  };
}

/**
 * Who did what, when and from where, and with what outcome: one row per recorded event, and one per refused command
 * (CommandRefused, see command-api/http/refusals.ts). GET /audit and /audit/export.
 */
export const auditLogProjection: Projection = {
  canHandle: 'every event',
  name: 'audit-log',
  version: 3,
  tables: ['audit_log'],
  async apply(trx, events, table) {
    // One array per column through unnest: a handful of parameters however long the batch, which PostgreSQL parses
    // and binds far faster than a VALUES list of ten parameters a row.
    const refused = (e: RecordedEvent) => e.type === 'CommandRefused';
    const column = <T>(f: (e: RecordedEvent) => T) => events.map(f);
    await sql`
      insert into ${sql.table(table('audit_log'))} (tenant_id, position, event_id, stream_id, event_type, actor_id, correlation_id, ip, recorded_at, outcome, refusal)
      select tenant_id, position, event_id::uuid, stream_id, event_type, actor_id, correlation_id, ip, recorded_at::timestamptz, outcome, refusal::jsonb
      from unnest(
        ${column((e) => e.metadata.tenantId)}::text[], ${column((e) => e.position)}::text[], ${column((e) => e.id)}::text[], ${column((e) => e.streamId)}::text[],
        ${column((e) => e.type)}::text[], ${column((e) => e.metadata.actorId)}::text[], ${column((e) => e.metadata.correlationId)}::text[],
        ${column((e) => canonicalIp(e.metadata.ip) ?? null)}::text[], ${column((e) => e.metadata.recordedAt)}::text[],
        ${column((e) => (refused(e) ? 'refused' : 'recorded'))}::text[], ${column((e) => (refused(e) ? JSON.stringify(e.data) : null))}::text[]
      ) as t(tenant_id, position, event_id, stream_id, event_type, actor_id, correlation_id, ip, recorded_at, outcome, refusal)
      on conflict (tenant_id, position) do nothing`.execute(trx);
  },
};
