import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import { ACTIONS, type Action } from '../../domain/ai-governance/client-ai-governance.js';
import type { PromptAnalysisEvent } from '../../domain/prompt-analysis/prompt-analysis.js';
import { AssessedFinding } from '../../domain/prompt-analysis/usage-policy.js';
import { Id, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import type { Projection, RecordedOf } from '../projection.js';
import { EntityCounts, entitiesOf } from './violations.js';

/** The read model's table: one row per analysis, with what was found where and never the prompt. */
export interface PromptAnalysesTable {
  tenant_id: string;
  analysis_id: string;
  client_id: string;
  ai_service_id: string;
  user_ref_hash: string | null;
  conversation_id: string | null;
  prompt_length: number;
  decision: Action;
  findings: AssessedFinding[];
  /** As recorded, a map by type; the API shows it as `entities`, the one shape of violations, Kafka and webhooks. */
  entity_counts: Record<string, number>;
  reasons: string[];
  service_approved: boolean;
  engine_version: number;
  analysed_at: Date;
  position: string;
}

export interface PromptAnalysesTables {
  prompt_analyses: PromptAnalysesTable;
}

/** An analysis as the API shows it: what was found where (never the prompt), the decision and its reasons. */
export const PromptAnalysis = z
  .object({
    analysisId: Id,
    clientId: z.string(),
    aiServiceId: z.string(),
    decision: z.enum(ACTIONS),
    findings: z.array(AssessedFinding),
    entities: EntityCounts,
    reasons: z.array(z.string()),
    serviceApproved: z.boolean(),
    promptLength: z.int(),
    conversationId: z.string().nullable(),
    userRefHash: z.string().nullable(),
    engineVersion: z.int(),
    analysedAt: Timestamp,
    position: z.string(),
  })
  .meta({ id: 'PromptAnalysis' });

export function promptAnalysisOf(row: Selectable<PromptAnalysesTable>): z.output<typeof PromptAnalysis> {
  return {
    analysisId: row.analysis_id,
    clientId: row.client_id,
    aiServiceId: row.ai_service_id,
    decision: row.decision,
    findings: row.findings,
    entities: entitiesOf(row.entity_counts),
    reasons: row.reasons,
    serviceApproved: row.service_approved,
    promptLength: row.prompt_length,
    conversationId: row.conversation_id,
    userRefHash: row.user_ref_hash,
    engineVersion: row.engine_version,
    analysedAt: new Date(row.analysed_at).toISOString(),
    position: row.position,
  };
}

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
