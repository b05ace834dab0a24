import { z } from 'zod';
import {
  aiServiceDecider,
  aiServiceStream,
  AiServiceProfile,
  type AiServiceEvent,
} from '../../domain/ai-governance/ai-service.js';
import {
  ACTIONS,
  clientAiDecider,
  clientAiStream,
  type ClientAiState,
} from '../../domain/ai-governance/client-ai-governance.js';
import { clientDecider, clientStream } from '../../domain/clients/client.js';
import { FRAMEWORK_IDS } from '../../domain/frameworks/catalog.js';
import { redactedPrompt, type PromptAnalyzedData } from '../../domain/prompt-analysis/prompt-analysis.js';
import { applicableRules, AssessedFinding, type PolicyContext } from '../../domain/prompt-analysis/usage-policy.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { assertClientAccess, authOf, type Authenticated } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id, ListMeta, Paging } from '../../infrastructure/http/contract/schemas.js';
import { pageOfItems } from '../../query-api/http/reads.js';
import type { StoredAnswerRules } from '../../infrastructure/http/idempotency.js';
import { notFound } from '../../infrastructure/http/problem.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { CommandHandler } from '../http/command-handler.js';
import { analyzeAndRecord, standing } from './analyze.js';
import { commandContext } from '../http/context.js';
import { sendCommandResult } from '../http/responses.js';

const AnalyzeRequest = z.strictObject({
  clientId: Id,
  aiServiceId: Id,
  prompt: z.string().min(1),
  userRef: z
    .string()
    .min(1)
    .max(200)
    .describe(
      'Who is sending: its keyed hash is recorded, and in a violation the reference itself, sealed so that it can be erased',
    )
    .optional(),
  conversationId: z.string().min(1).max(200).optional(),
  redaction: z
    .enum(['placeholder', 'mask'])
    .describe('placeholder (default): <US_SSN_1>; mask: card and account numbers keep their last four digits')
    .optional(),
});

const ExplainedRule = z.object({
  entity: z.string(),
  minScore: z.number(),
  action: z.enum(ACTIONS),
  source: z.string(),
});

/**
 * An analysis's answer as the idempotency store keeps it: without the redacted prompt, which is the prompt's own text
 * where nothing was found. A replay rebuilds it from the retried request's prompt (the same prompt, by the request's
 * hash) and the stored findings.
 */
export const analysisAnswer: StoredAnswerRules = {
  withheld: ['redactedPrompt'],
  restore(data, req) {
    const { prompt, redaction } = AnalyzeRequest.parse(req.body);
    return {
      ...data,
      redactedPrompt: redactedPrompt(prompt, data.findings as PromptAnalyzedData['findings'], redaction),
    };
  },
};

/** Prompts checked against the client's AI usage policy before they leave, and what a client may use. */
export function promptAnalysisCommands(
  resources: Pick<Resources, 'eventStore' | 'tenantHash' | 'config'>,
  handler: CommandHandler,
) {
  /** The client (active, and the caller's), its approvals and policy, and its frameworks. */
  async function clientContext(
    actor: Authenticated,
    clientId: string,
  ): Promise<{ frameworks: PolicyContext['frameworks']; governance: ClientAiState }> {
    assertClientAccess(actor, clientId);
    const [client, governance] = await Promise.all([
      handler.load({ decider: clientDecider }, clientStream(actor.tenantId, clientId)),
      handler.load({ decider: clientAiDecider }, clientAiStream(actor.tenantId, clientId)),
    ]);
    if (client.state.status !== 'active') {
      throw notFound('active client', 'clientId');
    }
    return { frameworks: client.state.profile?.frameworks ?? [], governance: governance.state };
  }

  return [
    operation({
      operationId: 'analyzePrompt',
      method: 'post',
      path: '/analyze/prompt',
      tags: ['prompt-analysis'],
      summary:
        "Check a prompt for PHI, personal data and secrets and apply the client's AI usage policy before it is sent",
      description:
        'Records the analysis (entity types, offsets, scores, the decision and a keyed hash of the prompt; never the prompt or the values found) and, when the decision is not allow or the service is not approved, a violation. The prompt may be at most PROMPT_MAX_CHARS characters (65,536 by default).',
      access: { permission: 'prompt:analyze' },
      headers: ['Idempotency-Key'],
      storedAnswer: analysisAnswer,
      body: AnalyzeRequest,
      answers: {
        201: {
          description: 'Analysed and recorded',
          schema: commandAnswer(
            z.object({
              analysisId: Id,
              decision: z.enum(ACTIONS),
              findings: z.array(AssessedFinding),
              redactedPrompt: z
                .string()
                .describe(
                  'The prompt with every finding the policy redacted or blocked replaced by a typed placeholder; findings it only warned about (or allowed) stay as written',
                ),
              reasons: z.array(z.string()),
            }),
          ),
        },
        404: { description: 'No such active client in your tenant', problem: true },
        422: { description: 'The prompt is longer than PROMPT_MAX_CHARS', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const body = req.body;
        const [{ frameworks, governance }, service] = await Promise.all([
          clientContext(actor, body.clientId),
          handler.load({ decider: aiServiceDecider }, aiServiceStream(actor.tenantId, body.aiServiceId)),
        ]);
        const context: PolicyContext = {
          policy: governance.policy,
          frameworks,
          service: standing(body.aiServiceId, service.state.profile, governance),
        };
        const { analysisId, analysis, result } = await analyzeAndRecord(
          resources,
          handler,
          {
            tenantId: actor.tenantId,
            clientId: body.clientId,
            aiServiceId: body.aiServiceId,
            prompt: body.prompt,
            userRef: body.userRef ?? null,
            conversationId: body.conversationId ?? null,
            context,
          },
          commandContext(req, res),
        );
        res.setHeader('Location', `/api/v1/analyze/prompt/${analysisId}`);
        sendCommandResult(
          res,
          201,
          {
            analysisId,
            decision: analysis.decision,
            findings: analysis.findings,
            redactedPrompt: redactedPrompt(body.prompt, analysis.findings, body.redaction),
            reasons: analysis.reasons,
          },
          result,
        );
      },
    }),
    operation({
      operationId: 'listUsableAiServices',
      method: 'get',
      path: '/analyze/ai-services',
      tags: ['prompt-analysis'],
      summary: 'The AI services a client may use, with the rules that apply to prompts sent to each',
      access: { permission: ['ai-service:read', 'prompt:analyze'] },
      query: Paging.extend({ clientId: Id }),
      answers: {
        200: {
          description: 'Approved services, by name',
          schema: z.object({
            data: z.array(
              z.object({
                aiServiceId: Id,
                ...AiServiceProfile.shape,
                approval: z.literal('approved'),
                policy: z.object({ frameworks: z.array(z.enum(FRAMEWORK_IDS)), rules: z.array(ExplainedRule) }),
              }),
            ),
            meta: ListMeta.extend({ unapprovedService: z.enum(ACTIONS) }),
          }),
        },
        404: { description: 'No such active client in your tenant', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const { frameworks, governance } = await clientContext(actor, req.query.clientId);
        const approved = Object.entries(governance.services)
          .filter(([, status]) => status === 'approved')
          .map(([id]) => id);
        const profiles = await registeredServices(resources.eventStore, actor.tenantId, new Set(approved));
        const data = approved
          .filter((id) => profiles.has(id))
          .map((aiServiceId) => {
            const profile = profiles.get(aiServiceId)!;
            const context: PolicyContext = {
              policy: governance.policy,
              frameworks,
              service: standing(aiServiceId, profile, governance),
            };
            return {
              aiServiceId,
              ...profile,
              approval: 'approved' as const,
              policy: { frameworks, rules: applicableRules(context) },
            };
          })
          .sort((a, b) => a.name.localeCompare(b.name));
        const paged = pageOfItems(data, req.query);
        res.json({
          data: paged.data,
          meta: { ...paged.meta, unapprovedService: governance.policy?.unapprovedService ?? 'block' },
        });
      },
    }),
  ];
}

/** The registry entries of the given services, read from their streams (with every later update). */
async function registeredServices(
  eventStore: EventStore,
  tenantId: string,
  ids: Set<string>,
): Promise<Map<string, AiServiceProfile>> {
  const profiles = new Map<string, AiServiceProfile>();
  await Promise.all(
    [...ids].map(async (id) => {
      const events = await eventStore.readStream(aiServiceStream(tenantId, id));
      const state = events.reduce(
        (current, event) => aiServiceDecider.evolve(current, event as unknown as AiServiceEvent),
        aiServiceDecider.initialState(),
      );
      if (state.profile) profiles.set(id, state.profile);
    }),
  );
  return profiles;
}
