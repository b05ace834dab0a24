import { sql } from 'kysely';
import { z } from 'zod';
import type { Action } from '../../domain/ai-governance/client-ai-governance.js';
import type {
  GatewayOutcome,
  GatewayRequestEvent,
  GatewayRequestRecordedData,
} from '../../domain/gateway/gateway-request.js';
import type { Projection, RecordedOf } from '../projection.js';

/** The read model's table: one row per gateway request, with what it cost and what the policy did, never its text. */
export interface GatewayRequestsTable {
  tenant_id: string;
  request_id: string;
  client_id: string;
  key_id: string | null;
  ai_service_id: string | null;
  model: string;
  user_ref_hash: string | null;
  outcome: GatewayOutcome;
  decision: Action | null;
  tokens_in: number;
  tokens_out: number;
  latency_ms: number;
  redacted: boolean;
  blocked: boolean;
  recorded_at: Date;
  position: string;
}

export interface GatewayRequestsTables {
  gateway_requests: GatewayRequestsTable;
}

/** Blocked: refused by a policy, whether the request ended as 'blocked' or its input's decision was block. */
export const wasBlocked = (data: GatewayRequestRecordedData): boolean =>
  data.outcome === 'blocked' || data.decision === 'block';

/** Redacted: the input's decision, or any finding in the prompt or the answer, replaced values with placeholders. */
export const wasRedacted = (data: GatewayRequestRecordedData): boolean =>
  data.decision === 'redact' ||
  [...data.findings.input, ...data.findings.output].some((finding) => finding.action === 'redact');

/** Requests summed over one client, service, model and UTC day: what GET /ai-usage lists. */
export const AiUsageDay = z
  .object({
    clientId: z.string(),
    aiServiceId: z.string().nullable().describe('null for requests routed to no service (an unapproved model)'),
    model: z.string(),
    day: z.iso.date(),
    requests: z.int(),
    tokensIn: z.int(),
    tokensOut: z.int(),
    blocked: z.int(),
    redacted: z.int(),
  })
  .meta({ id: 'AiUsageDay' });

/** The sums of a set of gateway requests, as SQL returns them (bigint sums as text). */
export interface UsageSums {
  requests: number | string;
  tokens_in: number | string;
  tokens_out: number | string;
  blocked: number | string;
  redacted: number | string;
}

/** The SQL select list of UsageSums over gateway_requests. */
export const usageSums = sql`count(*) as requests, coalesce(sum(tokens_in), 0) as tokens_in,
  coalesce(sum(tokens_out), 0) as tokens_out, count(*) filter (where blocked) as blocked,
  count(*) filter (where redacted) as redacted`;

export function sumsOf(row: UsageSums) {
  return {
    requests: Number(row.requests),
    tokensIn: Number(row.tokens_in),
    tokensOut: Number(row.tokens_out),
    blocked: Number(row.blocked),
    redacted: Number(row.redacted),
  };
}

export function aiUsageDayOf(
  row: UsageSums & { client_id: string; ai_service_id: string | null; model: string; day: string },
): z.output<typeof AiUsageDay> {
  return {
    clientId: row.client_id,
    aiServiceId: row.ai_service_id,
    model: row.model,
    day: row.day,
    ...sumsOf(row),
  };
}

type GatewayRequestRecorded = RecordedOf<GatewayRequestEvent>;

function values(event: GatewayRequestRecorded) {
  const r = event.data;
  return sql`(${event.metadata.tenantId}, ${r.requestId}, ${r.clientId}, ${r.keyId}, ${r.aiServiceId}, ${r.model},
    ${r.userRefHash}, ${r.outcome}, ${r.decision}, ${r.tokensIn}, ${r.tokensOut}, ${r.latencyMs}, ${wasRedacted(r)},
    ${wasBlocked(r)}, ${event.metadata.recordedAt}::timestamptz, ${event.position})`;
}

/** Every gateway request, one row each: GET /ai-usage and the MSP summary sum them at query time. */
export const gatewayRequestsProjection: Projection<GatewayRequestEvent> = {
  name: 'gateway-requests',
  version: 1,
  canHandle: ['GatewayRequestRecorded'],
  tables: ['gateway_requests'],
  async apply(trx, events, table) {
    for (let i = 0; i < events.length; i += 1000) {
      await sql`
        insert into ${sql.table(table('gateway_requests'))} (tenant_id, request_id, client_id, key_id, ai_service_id, model,
          user_ref_hash, outcome, decision, tokens_in, tokens_out, latency_ms, redacted, blocked, recorded_at, position)
        values ${sql.join(events.slice(i, i + 1000).map(values))}
        on conflict (tenant_id, request_id) do nothing`.execute(trx);
    }
  },
};
