import { sql } from 'kysely';
import { z } from 'zod';
import { AiServiceProfile, type AiServiceEvent } from '../../domain/ai-governance/ai-service.js';
import type { ClientAiEvent } from '../../domain/ai-governance/client-ai-governance.js';
import type { PromptAnalysisEvent } from '../../domain/prompt-analysis/prompt-analysis.js';
import { Id, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { aggregateIdOf, type Projection } from '../projection.js';

/** The registry: one row per AI service of the MSP. */
export interface AiServicesTable {
  tenant_id: string;
  ai_service_id: string;
  name: string;
  vendor: string;
  models: string[];
  baa_signed: boolean;
  dpa_signed: boolean;
  data_retention_days: number;
  registered_at: Date;
  /** The provider settings the gateway forwards to (issue 13): null until set. Whether a key is set, never the key. */
  provider_base_url: string | null;
  provider_api_key_set: boolean | null;
  provider_timeout_ms: number | null;
}

/** Each client's latest decision on each service. */
export interface AiServiceApprovalsTable {
  tenant_id: string;
  client_id: string;
  ai_service_id: string;
  status: 'approved' | 'revoked';
  reason: string;
  changed_at: Date;
}

/** Prompts analysed per client, service and day, by decision. */
export interface AiUsageTable {
  tenant_id: string;
  client_id: string;
  ai_service_id: string;
  day: Date;
  analysed: number;
  warned: number;
  redacted: number;
  blocked: number;
}

export interface AiServicesTables {
  ai_services: AiServicesTable;
  ai_service_approvals: AiServiceApprovalsTable;
  ai_usage: AiUsageTable;
}

const Usage = z.object({ analysed: z.int(), warned: z.int(), redacted: z.int(), blocked: z.int() });

/** Prompts analysed over a period, by decision. */
export type AiUsage = z.output<typeof Usage>;

/** An AI service of the registry as the API shows it; with a client, that client's approval and use of it. */
export const AiService = z
  .object({
    aiServiceId: Id,
    ...AiServiceProfile.shape,
    registeredAt: Timestamp,
    provider: z
      .object({
        baseUrl: z.string(),
        apiKeySet: z.boolean().describe('Whether an API key is set: the key itself is never shown'),
        timeoutMs: z.int(),
      })
      .nullable()
      .describe("Where the gateway forwards this service's traffic (PUT /ai-services/{id}/provider); null until set"),
    approval: z.enum(['approved', 'revoked', 'none']).nullable(),
    usageLast30Days: Usage,
  })
  .meta({ id: 'AiService' });

/** A registry row with, for a client, its approval (null without a client) and its use over 30 days. */
export function aiServiceOf(
  row: AiServicesTable & { approval: AiServiceApprovalsTable['status'] | 'none' | null; usage: AiUsage },
): z.output<typeof AiService> {
  return {
    aiServiceId: row.ai_service_id,
    name: row.name,
    vendor: row.vendor,
    models: row.models,
    baaSigned: row.baa_signed,
    dpaSigned: row.dpa_signed,
    dataRetentionDays: row.data_retention_days,
    registeredAt: new Date(row.registered_at).toISOString(),
    provider:
      row.provider_base_url === null
        ? null
        : {
            baseUrl: row.provider_base_url,
            apiKeySet: row.provider_api_key_set === true,
            timeoutMs: row.provider_timeout_ms!,
          },
    approval: row.approval,
    usageLast30Days: row.usage,
  };
}

/** The registry, each client's approvals and revocations, and prompts analysed per client, service and day. */
export const aiServicesProjection: Projection<AiServiceEvent | ClientAiEvent | PromptAnalysisEvent> = {
  name: 'ai-services',
  version: 1,
  canHandle: [
    'AiServiceRegistered',
    'AiServiceUpdated',
    'AiServiceProviderSet',
    'AiServiceApproved',
    'AiServiceRevoked',
    'PromptAnalyzed',
  ],
  tables: ['ai_services', 'ai_service_approvals', 'ai_usage'],
  async apply(trx, events, table) {
    for (const event of events) {
      const tenantId = event.metadata.tenantId;
      const at = event.metadata.recordedAt;
      if (event.type === 'PromptAnalyzed') {
        const analysis = event.data;
        const counts = { warn: 0, redact: 0, block: 0, allow: 0, [analysis.decision]: 1 };
        await sql`
          insert into ${sql.table(table('ai_usage'))} as usage (tenant_id, client_id, ai_service_id, day, analysed, warned, redacted, blocked)
          values (${tenantId}, ${analysis.clientId}, ${analysis.aiServiceId}, ${at}::timestamptz::date, 1, ${counts.warn}, ${counts.redact}, ${counts.block})
          on conflict (tenant_id, client_id, ai_service_id, day) do update set
            analysed = usage.analysed + 1, warned = usage.warned + excluded.warned,
            redacted = usage.redacted + excluded.redacted, blocked = usage.blocked + excluded.blocked`.execute(trx);
        continue;
      }
      const { type, data } = event;
      switch (type) {
        case 'AiServiceRegistered':
          await sql`
            insert into ${sql.table(table('ai_services'))} (tenant_id, ai_service_id, name, vendor, models, baa_signed, dpa_signed, data_retention_days, registered_at)
            values (${tenantId}, ${data.aiServiceId}, ${data.name}, ${data.vendor}, ${data.models}::text[], ${data.baaSigned}, ${data.dpaSigned}, ${data.dataRetentionDays}, ${at})
            on conflict do nothing`.execute(trx);
          continue;
        case 'AiServiceUpdated': {
          const c = data.changes;
          await sql`
            update ${sql.table(table('ai_services'))} set
              name = coalesce(${c.name ?? null}, name), vendor = coalesce(${c.vendor ?? null}, vendor),
              models = coalesce(${c.models ?? null}::text[], models), baa_signed = coalesce(${c.baaSigned ?? null}::boolean, baa_signed),
              dpa_signed = coalesce(${c.dpaSigned ?? null}::boolean, dpa_signed),
              data_retention_days = coalesce(${c.dataRetentionDays ?? null}::int, data_retention_days)
            where tenant_id = ${tenantId} and ai_service_id = ${data.aiServiceId}`.execute(trx);
          continue;
        }
        case 'AiServiceProviderSet':
          // The API key is sealed in the event; the read model keeps only whether there is one.
          await sql`
            update ${sql.table(table('ai_services'))} set
              provider_base_url = ${data.baseUrl}, provider_api_key_set = ${data.apiKey !== null}, provider_timeout_ms = ${data.timeoutMs}
            where tenant_id = ${tenantId} and ai_service_id = ${data.aiServiceId}`.execute(trx);
          continue;
        case 'AiServiceApproved':
        case 'AiServiceRevoked':
          await sql`
            insert into ${sql.table(table('ai_service_approvals'))} (tenant_id, client_id, ai_service_id, status, reason, changed_at)
            values (${tenantId}, ${aggregateIdOf(event.streamId)}, ${data.aiServiceId}, ${type === 'AiServiceApproved' ? 'approved' : 'revoked'}, ${data.reason}, ${at})
            on conflict (tenant_id, client_id, ai_service_id) do update set status = excluded.status, reason = excluded.reason, changed_at = excluded.changed_at`.execute(
            trx,
          );
          continue;
      }
    }
  },
};
