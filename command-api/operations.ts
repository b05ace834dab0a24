import type { AnyOperation } from '../infrastructure/http/contract/operation.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { mfaCommands } from './auth/mfa.js';
import { authCommands } from './auth/operations.js';
import { sessionCommands } from './auth/sessions.js';
import { gatewayDeps, type GatewayDeps } from '../gateway/deps.js';
import { chatConversation } from './chat/conversation.js';
import { chatCommands } from './chat/operations.js';
import { aiGovernanceCommands } from './ai-governance/operations.js';
import { assessmentCommands } from './assessments/operations.js';
import { clientCommands } from './clients/operations.js';
import { evidenceCommands } from './evidence/operations.js';
import { gatewayKeyCommands } from './gateway/operations.js';
import type { CommandHandler } from './http/command-handler.js';
import { organizationCommands } from './organization/operations.js';
import { userCommands } from './users/operations.js';
import { profileCommands } from './profiles/operations.js';
import { promptAnalysisCommands } from './prompt-analysis/operations.js';
import { webhookCommands } from './webhooks/operations.js';
import { policyCommands } from './policies/operations.js';
import { violationCommands } from './violations/operations.js';

/** Every operation of the write side, each declared beside its handler. */
export function commandOperations(
  resources: Resources,
  handler: CommandHandler,
  /** The gateway's path, for the chat: the process builds it once, for the gateway and the chat alike. */
  gateway: GatewayDeps = gatewayDeps(resources, handler),
): AnyOperation[] {
  return [
    ...clientCommands(handler),
    ...authCommands(resources, handler),
    ...mfaCommands(resources, handler),
    ...sessionCommands(resources, handler),
    ...organizationCommands(handler),
    ...userCommands(resources, handler),
    ...profileCommands(handler),
    ...aiGovernanceCommands(handler, resources.providerGuard),
    ...gatewayKeyCommands(resources, handler),
    ...evidenceCommands(handler, resources.blobs, {
      maxBytes: resources.config.EVIDENCE_MAX_BYTES,
      eventStore: resources.eventStore,
      database: resources.database,
    }),
    ...promptAnalysisCommands(resources, handler),
    ...webhookCommands(handler, resources.webhookGuard, resources.vault),
    ...policyCommands(handler, resources.policyDrafter),
    ...assessmentCommands(handler, resources.eventStore),
    ...chatCommands(chatConversation(gateway), {
      maxChars: resources.config.PROMPT_MAX_CHARS,
    }),
    ...violationCommands(handler, {
      database: resources.database,
      eventStore: resources.eventStore,
      waitMs: resources.config.QUERY_WAIT_MS,
    }),
  ];
}
