import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { aiServiceDecider, aiServiceStream, type AiServiceProfile } from '../../domain/ai-governance/ai-service.js';
import {
  clientAiDecider,
  clientAiStream,
  type ClientAiState,
} from '../../domain/ai-governance/client-ai-governance.js';
import { clientDecider, clientStream, type ClientState } from '../../domain/clients/client.js';
import { DomainError } from '../../domain/decider.js';
import { violationPersonalData } from '../../domain/violations/violation.js';
import {
  checkPrompt,
  promptAnalysisDecider,
  promptAnalysisStream,
  promptDetector,
  type PromptAnalyzedData,
} from '../../domain/prompt-analysis/prompt-analysis.js';
import type { PolicyContext, ServiceStanding } from '../../domain/prompt-analysis/usage-policy.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { CommandContext, CommandHandler, CommandResult, Loaded } from '../http/command-handler.js';

/** Where a prompt goes, as the registry and the client's approvals describe it. */
export function standing(
  aiServiceId: string,
  profile: AiServiceProfile | undefined,
  approvals: ClientAiState,
): ServiceStanding {
  return {
    aiServiceId,
    name: profile?.name ?? null,
    registered: profile !== undefined,
    approval: approvals.services[aiServiceId] ?? 'none',
    baaSigned: profile?.baaSigned ?? false,
    dpaSigned: profile?.dpaSigned ?? false,
  };
}

/**
 * Runs a computation given in steps (a generator), letting everything else that is waiting run between them: one
 * long analysis holds up no other request.
 */
export async function inSteps<T>(steps: Generator<void, T, void>): Promise<T> {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await setImmediate();
  }
}

/*
 * The client, its AI governance and a service's profile, as every analysis (and every gateway request) reads them:
 * cached by the command handler, which still reads on every load whatever was appended since (no personal data).
 */
export const cachedClient = { decider: clientDecider, cache: true };
export const cachedClientAi = { decider: clientAiDecider, cache: true };
export const cachedAiService = { decider: aiServiceDecider, cache: true };

/** The client's and its governance's streams, read together (CommandHandler.loadMany). */
export const clientStandingStreams = (tenantId: string, clientId: string) => [
  { aggregate: cachedClient, streamId: clientStream(tenantId, clientId) },
  { aggregate: cachedClientAi, streamId: clientAiStream(tenantId, clientId) },
];

/** A client's standing from its loaded streams: it must be active; its approvals, policy and frameworks. */
export function standingOf(
  client: Loaded<ClientState>,
  governance: Loaded<ClientAiState>,
): { frameworks: PolicyContext['frameworks']; governance: ClientAiState } {
  if (client.state.status !== 'active') throw new DomainError('not_found', 'No such active client', 'clientId');
  return { frameworks: client.state.profile?.frameworks ?? [], governance: governance.state };
}

/** A client's standing for analysis: it must be active; its approvals, policy and frameworks. */
export async function clientPolicy(
  handler: CommandHandler,
  tenantId: string,
  clientId: string,
): Promise<{ frameworks: PolicyContext['frameworks']; governance: ClientAiState }> {
  const [client, governance] = await handler.loadMany(clientStandingStreams(tenantId, clientId));
  return standingOf(client as Loaded<ClientState>, governance as Loaded<ClientAiState>);
}

/** The policy context of a prompt from a client to a service (loaded here unless given). */
export async function policyContext(
  handler: CommandHandler,
  tenantId: string,
  clientId: string,
  aiServiceId: string,
  known?: { frameworks: PolicyContext['frameworks']; governance: ClientAiState; profile?: AiServiceProfile | null },
): Promise<PolicyContext> {
  const [{ frameworks, governance }, profile] = await Promise.all([
    known ?? clientPolicy(handler, tenantId, clientId),
    known && known.profile !== undefined
      ? known.profile
      : handler.load(cachedAiService, aiServiceStream(tenantId, aiServiceId)).then((s) => s.state.profile),
  ]);
  return { policy: governance.policy, frameworks, service: standing(aiServiceId, profile ?? undefined, governance) };
}

export interface PromptToAnalyze {
  tenantId: string;
  clientId: string;
  aiServiceId: string;
  prompt: string;
  userRef: string | null;
  conversationId: string | null;
  context: PolicyContext;
}

/**
 * The one analysis of a prompt, for POST /analyze/prompt and for the gateway: detect (in steps), decide with the
 * client's policy, and append the PromptAnalyzed and its violations. It returns only once they are recorded, so a
 * caller that forwards the prompt afterwards never forwards anything unrecorded; a failure throws.
 */
export async function analyzeAndRecord(
  resources: Pick<Resources, 'tenantHash' | 'config'>,
  handler: CommandHandler,
  prompt: PromptToAnalyze,
  command: CommandContext,
): Promise<{ analysisId: string; analysis: PromptAnalyzedData; result: CommandResult<unknown, unknown> }> {
  checkPrompt(prompt.prompt, resources.config.PROMPT_MAX_CHARS);
  const findings = await inSteps(promptDetector(prompt.context).steps(prompt.prompt));
  const analysisId = randomUUID();
  const result = await handler.execute(
    { decider: promptAnalysisDecider, personalData: violationPersonalData },
    promptAnalysisStream(prompt.tenantId, analysisId),
    {
      type: 'AnalyzePrompt',
      analysisId,
      clientId: prompt.clientId,
      aiServiceId: prompt.aiServiceId,
      prompt: prompt.prompt,
      findings,
      promptHash: resources.tenantHash(prompt.tenantId, 'prompt', prompt.prompt),
      userRefHash: prompt.userRef === null ? null : resources.tenantHash(prompt.tenantId, 'user-ref', prompt.userRef),
      userRef: prompt.userRef,
      conversationId: prompt.conversationId,
      maxLength: resources.config.PROMPT_MAX_CHARS,
      context: prompt.context,
    },
    command,
    { expect: 'new', generatedId: true },
  );
  return { analysisId, analysis: result.events[0]!.data as PromptAnalyzedData, result };
}
