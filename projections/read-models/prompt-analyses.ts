import { sql } from 'kysely';
import type { PromptAnalysisEvent } from '../../domain/prompt-analysis/prompt-analysis.js';
import type { Projection, RecordedOf } from '../projection.js';

type PromptAnalyzed = Extract<PromptAnalysisEvent, { type: 'PromptAnalyzed' }>;

function values(event: RecordedOf<PromptAnalyzed>) {
  const a = event.data;
  return sql`(${event.metadata.tenantId}, ${a.analysisId}, ${a.clientId}, ${a.aiServiceId}, ${a.userRefHash}, ${a.conversationId}, ${a.promptLength}, ${a.decision},
    ${JSON.stringify(a.findings)}::jsonb, ${JSON.stringify(a.entityCounts)}::jsonb, ${JSON.stringify(a.reasons)}::jsonb, ${a.serviceApproved}, ${a.engineVersion},
    ${event.metadata.recordedAt}::timestamptz, ${event.position})`;
}

/** Every prompt analysis, without the prompt: GET /prompt-analyses. */
export const promptAnalysesProjection: Projection<PromptAnalyzed> = {
  name: 'prompt-analyses',
  version: 1,
  canHandle: ['PromptAnalyzed'],
  tables: ['prompt_analyses'],
  async apply(trx, events, table) {
    for (let i = 0; i < events.length; i += 1000) {
      await sql`
        insert into ${sql.table(table('prompt_analyses'))} (tenant_id, analysis_id, client_id, ai_service_id, user_ref_hash, conversation_id, prompt_length, decision,
          findings, entity_counts, reasons, service_approved, engine_version, analysed_at, position)
        values ${sql.join(events.slice(i, i + 1000).map(values))}
        on conflict (tenant_id, analysis_id) do nothing`.execute(trx);
    }
  },
};
