import type { PromptAnalysisEvent } from '../../domain/prompt-analysis/prompt-analysis.js';
import { sql } from 'kysely';
import type { AiServiceEvent } from '../../domain/ai-governance/ai-service.js';
import type { ClientAiEvent } from '../../domain/ai-governance/client-ai-governance.js';
import { aggregateIdOf, type Projection } from '../projection.js';

/** The registry, each client's approvals and revocations, and prompts analysed per client, service and day. */
export const aiServicesProjection: Projection<AiServiceEvent | ClientAiEvent | PromptAnalysisEvent> = {
  name: 'ai-services',
  version: 1,
  canHandle: ['AiServiceRegistered', 'AiServiceApproved', 'AiServiceRevoked', 'PromptAnalyzed'],
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
