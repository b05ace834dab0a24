import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import express, { type Router } from 'express';
import { aiServiceDecider, type AiServiceProfile } from '../../domain/ai-governance/ai-service.js';
import { clientAiDecider, type ClientAiState } from '../../domain/ai-governance/client-ai-governance.js';
import { clientDecider } from '../../domain/clients/client.js';
import { redact, type RedactionStyle } from '../../domain/prompt-analysis/detection/redaction.js';
import {
  checkPrompt,
  promptAnalysisDecider,
  promptDetector,
  type PromptAnalyzedData,
} from '../../domain/prompt-analysis/prompt-analysis.js';
import {
  applicableRules,
  type PolicyContext,
  type ServiceStanding,
} from '../../domain/prompt-analysis/usage-policy.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import {
  assertClientAccess,
  authOf,
  requirePermission,
  type Authenticated,
} from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import type { StoredAnswerRules } from '../../infrastructure/http/idempotency.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import { aiServiceStream, clientAiStream } from '../ai-governance/routes.js';
import { clientStream } from '../../domain/clients/client.js';
import { commandContext } from '../http/context.js';
import type { CommandHandler } from '../http/command-handler.js';
import { sendCommandResult } from '../http/responses.js';

export const promptAnalysisStream = (tenantId: string, analysisId: string): string =>
  `${tenantId}/prompt-analysis/${analysisId}`;

interface AnalyzeBody {
  clientId: string;
  aiServiceId: string;
  prompt: string;
  userRef?: string;
  conversationId?: string;
  redaction?: RedactionStyle;
}

function standing(
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
 * An analysis's answer as the idempotency store keeps it: without the redacted prompt, which is the prompt's own text
 * where nothing was found. A replay rebuilds it from the retried request's prompt (the same prompt, by the request's
 * hash) and the stored findings.
 */
export const analysisAnswer: StoredAnswerRules = {
  withheld: ['redactedPrompt'],
  restore(data, req) {
    const body = req.body as AnalyzeBody;
    const findings = (data.findings as PromptAnalyzedData['findings']).filter((finding) => finding.action !== 'allow');
    return { ...data, redactedPrompt: redact(body.prompt, findings, body.redaction) };
  },
};

/**
 * Runs a computation given in steps (a generator), letting everything else that is waiting run between them: one
 * long analysis holds up no other request.
 */
async function inSteps<T>(steps: Generator<void, T, void>): Promise<T> {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await setImmediate();
  }
}

/** Mounted at /analyze: prompts checked against the client's AI usage policy before they leave. */
export function promptAnalysisRoutes(
  resources: Pick<Resources, 'eventStore' | 'tenantHash' | 'config'>,
  handler: CommandHandler,
): Router {
  const router = express.Router();

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
      throw new HttpProblem(404, 'not-found', 'Not found', 'No such active client.', {
        errors: [{ field: 'clientId', message: 'no such active client' }],
      });
    }
    return { frameworks: client.state.profile?.frameworks ?? [], governance: governance.state };
  }

  router.post('/prompt', requirePermission('prompt:analyze'), async (req, res) => {
    const actor = authOf(res);
    const body = req.body as AnalyzeBody;
    const [{ frameworks, governance }, service] = await Promise.all([
      clientContext(actor, body.clientId),
      handler.load({ decider: aiServiceDecider }, aiServiceStream(actor.tenantId, body.aiServiceId)),
    ]);
    const context: PolicyContext = {
      policy: governance.policy,
      frameworks,
      service: standing(body.aiServiceId, service.state.profile, governance),
    };
    checkPrompt(body.prompt, resources.config.PROMPT_MAX_CHARS);
    const findings = await inSteps(promptDetector(context).steps(body.prompt));
    const analysisId = randomUUID();
    const result = await handler.execute(
      { decider: promptAnalysisDecider },
      promptAnalysisStream(actor.tenantId, analysisId),
      {
        type: 'AnalyzePrompt',
        analysisId,
        clientId: body.clientId,
        aiServiceId: body.aiServiceId,
        prompt: body.prompt,
        findings,
        promptHash: resources.tenantHash(actor.tenantId, 'prompt', body.prompt),
        userRefHash: body.userRef === undefined ? null : resources.tenantHash(actor.tenantId, 'user-ref', body.userRef),
        conversationId: body.conversationId ?? null,
        maxLength: resources.config.PROMPT_MAX_CHARS,
        context,
      },
      commandContext(req, res),
      { expect: 'new' },
    );
    const analysis = result.events[0]!.data as PromptAnalyzedData;
    const acted = analysis.findings.filter((finding) => finding.action !== 'allow');
    res.setHeader('Location', `/api/v1/analyze/prompt/${analysisId}`);
    sendCommandResult(
      res,
      201,
      {
        analysisId,
        decision: analysis.decision,
        findings: analysis.findings,
        redactedPrompt: redact(body.prompt, acted, body.redaction),
        reasons: analysis.reasons,
      },
      result,
    );
  });

  router.get('/ai-services', requirePermission('ai-service:read', 'prompt:analyze'), async (req, res) => {
    const actor = authOf(res);
    const clientId = String(req.query.clientId);
    const { frameworks, governance } = await clientContext(actor, clientId);
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
    res.json({
      data,
      meta: { total: data.length, unapprovedService: governance.policy?.unapprovedService ?? 'block' },
    });
  });

  return router;
}

/** The registry entries of the given services, read from their streams. */
async function registeredServices(
  eventStore: EventStore,
  tenantId: string,
  ids: Set<string>,
): Promise<Map<string, AiServiceProfile>> {
  const profiles = new Map<string, AiServiceProfile>();
  await Promise.all(
    [...ids].map(async (id) => {
      const [registered] = await eventStore.readStream(aiServiceStream(tenantId, id), { maxCount: 1 });
      if (!registered) return;
      const { aiServiceId: _id, ...profile } = registered.data as AiServiceProfile & { aiServiceId: string };
      profiles.set(id, profile);
    }),
  );
  return profiles;
}
