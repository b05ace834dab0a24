import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import { clientNamedIn, type CommandRefusedData } from '../../domain/audit/command-refused.js';
import { clientOf } from '../../domain/ownership.js';
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
  /** The client company the event belongs to, null for the MSP's own (see domain/ownership.ts). */
  client_id: string | null;
  /** The reason recorded: a refusal's title, detail and fields; an event's own `reason`, `comment` or `note`. */
  reason: string | null;
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
    clientId: z.string().nullable().describe("The client company the event belongs to; null for the MSP's own"),
    actorName: z
      .string()
      .nullable()
      .describe('The acting user\'s name as of the event, "[erased]" once they are erased; null for system actors'),
    reason: z
      .string()
      .nullable()
      .describe("Why: a refusal's title, detail and fields at fault, or the reason or comment the event records"),
  })
  .meta({ id: 'AuditEntry' });

/**
 * The reason an event records, in full: a refusal's title, detail and fields; else its `reason`, `comment` or `note`
 * (a violation resolved with a note), or a violation comment's text.
 */
export function reasonOf(event: Pick<RecordedEvent, 'type' | 'data'>): string | null {
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>;
  if (event.type === 'CommandRefused') {
    const refusal = data as unknown as CommandRefusedData;
    const fields = refusal.fields?.length ? ` (fields: ${refusal.fields.join(', ')})` : '';
    return `${refusal.title}${refusal.detail ? `: ${refusal.detail}` : ''}${fields}`;
  }
  // A violation's workflow records its reason as a note (resolved with a note) and a comment's words as its text.
  const keys = event.type === 'ViolationCommented' ? ['text'] : ['reason', 'comment', 'note'];
  for (const key of keys) if (typeof data[key] === 'string' && data[key] !== '') return data[key] as string;
  return null;
}

/** The client an event belongs to: as stamped in its metadata, else as its data or stream name say. */
function clientOfEvent(event: RecordedEvent): string | null {
  const stamped = (event.metadata as { clientId?: unknown }).clientId;
  // Refusals recorded before they were stamped with the client aimed at: the client their path names.
  if ((stamped === null || stamped === undefined) && event.type === 'CommandRefused')
    return clientNamedIn(String((event.data as { path?: unknown }).path ?? ''));
  if (typeof stamped === 'string' || stamped === null) return stamped;
  return clientOf(event.streamId, event.data);
}

export function auditEntryOf(
  row: Selectable<AuditLogTable>,
  actorName: string | null = null,
): z.output<typeof AuditEntry> {
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
    clientId: row.client_id ?? null,
    actorName,
    reason: row.reason ?? (row.refusal ? reasonOf({ type: 'CommandRefused', data: row.refusal }) : null),
  };
}

/**
 * Who did what, when and from where, and with what outcome: one row per recorded event, and one per refused command
 * (CommandRefused, see command-api/http/refusals.ts). GET /audit and /audit/export.
 */
export const auditLogProjection: Projection = {
  canHandle: 'every event',
  name: 'audit-log',
  version: 5,
  tables: ['audit_log'],
  async apply(trx, events, table) {
    // One array per column through unnest: a handful of parameters however long the batch, which PostgreSQL parses
    // and binds far faster than a VALUES list of ten parameters a row.
    const refused = (e: RecordedEvent) => e.type === 'CommandRefused';
    const column = <T>(f: (e: RecordedEvent) => T) => events.map(f);
    await sql`
      insert into ${sql.table(table('audit_log'))} (tenant_id, position, event_id, stream_id, event_type, actor_id, correlation_id, ip, recorded_at, outcome, refusal, client_id, reason)
      select tenant_id, position, event_id::uuid, stream_id, event_type, actor_id, correlation_id, ip, recorded_at::timestamptz, outcome, refusal::jsonb, client_id, reason
      from unnest(
        ${column((e) => e.metadata.tenantId)}::text[], ${column((e) => e.position)}::text[], ${column((e) => e.id)}::text[], ${column((e) => e.streamId)}::text[],
        ${column((e) => e.type)}::text[], ${column((e) => e.metadata.actorId)}::text[], ${column((e) => e.metadata.correlationId)}::text[],
        ${column((e) => canonicalIp(e.metadata.ip) ?? null)}::text[], ${column((e) => e.metadata.recordedAt)}::text[],
        ${column((e) => (refused(e) ? 'refused' : 'recorded'))}::text[], ${column((e) => (refused(e) ? JSON.stringify(e.data) : null))}::text[],
        ${column(clientOfEvent)}::text[], ${column(reasonOf)}::text[]
      ) as t(tenant_id, position, event_id, stream_id, event_type, actor_id, correlation_id, ip, recorded_at, outcome, refusal, client_id, reason)
      on conflict (tenant_id, position) do nothing`.execute(trx);
  },
};
