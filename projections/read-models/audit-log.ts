import { sql } from 'kysely';
import type { RecordedEvent } from '../../infrastructure/event-store/types.js';
import type { Projection } from '../projection.js';
import { canonicalIp } from '../../infrastructure/ip-address.js';

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
