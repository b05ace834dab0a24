import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { AiServiceProfile, AiServiceState, ProviderSettings } from '../domain/ai-governance/ai-service.js';
import {
  DEFAULT_GATEWAY_SETTINGS,
  type Action,
  type ClientAiState,
  type GatewaySettings,
} from '../domain/ai-governance/client-ai-governance.js';
import { DomainError } from '../domain/decider.js';
import { createDetector } from '../domain/prompt-analysis/detection/engine.js';
import {
  gatewayRequestDecider,
  gatewayRequestStream,
  type GatewayEndpoint,
  type GatewayOutcome,
  type GatewayRequestRecordedData,
} from '../domain/gateway/gateway-request.js';
import type { AssessedFinding, PolicyContext } from '../domain/prompt-analysis/usage-policy.js';
import { analyzeAndRecord, clientPolicy, policyContext, standingOf } from '../command-api/prompt-analysis/analyze.js';
import type { CommandContext } from '../command-api/http/command-handler.js';
import { asTenant } from '../infrastructure/read-models/tenant-scope.js';
import type { GatewayDeps } from './deps.js';
import { routeStream, standingRead, type GatewayCaller } from './caller.js';
import { GatewayRefusal, type ChatTurn, type OpenAiError } from './types.js';
import { budgetMonth, countTokens } from './limits.js';
import { extractTexts, Placeholders, redactRequest } from './messages.js';
import { countFindings } from './output.js';

/** Where a request goes: an approved service of the client, with its provider (API key unsealed). */
export interface Route {
  aiServiceId: string;
  profile: AiServiceProfile;
  provider: ProviderSettings;
}

/** A request that passed every step before forwarding, and what the later steps need of it. */
export interface Prepared {
  requestId: string;
  caller: GatewayCaller;
  route: Route;
  context: PolicyContext;
  settings: GatewaySettings;
  analysisId: string;
  decision: Action;
  inputFindings: AssessedFinding[];
  placeholders: Placeholders;
  /** The messages as they leave: placeholder form. */
  sent: ChatTurn[];
  /** The forwarded parameters as they leave: placeholder form. */
  parameters: Record<string, unknown>;
  /** Tokens reserved against the monthly budget (0: no budget), to settle afterwards. */
  reserved: number;
  month: string;
  record: Recorder;
}

/** Records the request once, as it ended. */
export type Recorder = (
  outcome: GatewayOutcome,
  details?: Partial<Omit<GatewayRequestRecordedData, 'outcome' | 'requestId'>>,
) => Promise<void>;

export interface Incoming {
  endpoint: GatewayEndpoint;
  streamed: boolean;
  model: string;
  messages: ChatTurn[];
  /** The OpenAI parameters to forward (gateway/schemas.ts): their strings are analysed like the messages. */
  parameters?: Record<string, unknown>;
  /** Completion tokens the caller allows (max_tokens), for the budget's estimate; null: the configured default. */
  maxTokens: number | null;
  requestId?: string;
  correlationId?: string;
  conversationId?: string;
}

const openAi = (message: string, type: string, code: string | null, param: string | null = null): OpenAiError => ({
  message,
  type,
  param,
  code,
});

/** The GatewayRefusal for a failure that is the ledger's (analysis or recording failed): nothing was forwarded. */
export const ledgerFailure = (requestId: string | null, analysisId: string | null = null): GatewayRefusal =>
  new GatewayRefusal(
    503,
    openAi(
      'The ledger could not analyse or record this request; nothing was sent to the AI service. Retry later.',
      'server_error',
      'ledger_unavailable',
    ),
    requestId,
    analysisId,
  );

const detectInName = createDetector();

/**
 * The model as it may be recorded and named in reasons: as the caller wrote it, unless the engine finds something
 * in it (a model no service offers is free text from the caller, and the log cannot forget).
 */
export const recordableModel = (model: string): string => (detectInName(model).length > 0 ? '[withheld]' : model);

/** A uuid standing for a model no registered service offers, the same for the same model of a tenant. */
function unregisteredModelId(tenantId: string, model: string): string {
  const hex = createHash('sha256').update(`${tenantId}\u0000gateway-model\u0000${model}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function commandContextOf(caller: GatewayCaller, correlationId: string): CommandContext {
  return {
    tenantId: caller.tenantId,
    actorId: caller.keyId ?? caller.userId ?? 'gateway',
    correlationId,
  };
}

/**
 * Rate limit → route → budget → input analysis (recorded) → block / unanalysable parts → redact. Every refusal is
 * recorded and thrown as a GatewayRefusal; a failure to analyse or record throws ledgerFailure, and nothing is sent.
 */
export async function prepare(deps: GatewayDeps, caller: GatewayCaller, incoming: Incoming): Promise<Prepared> {
  const { resources, handler } = deps;
  const { config } = resources;
  const started = performance.now();
  const requestId = incoming.requestId ?? randomUUID();
  const correlationId = incoming.correlationId ?? requestId;
  const recorded = {
    requestId,
    clientId: caller.clientId,
    keyId: caller.keyId,
    userId: caller.userId,
    userRefHash: caller.userRefHash,
    endpoint: incoming.endpoint,
    streamed: incoming.streamed,
    model: recordableModel(incoming.model),
    aiServiceId: null as string | null,
    analysisId: null as string | null,
    decision: null as Action | null,
    providerStatus: null as number | null,
    tokensIn: 0,
    tokensOut: 0,
    tokenSource: 'none' as GatewayRequestRecordedData['tokenSource'],
    findings: { input: [], output: [] } as GatewayRequestRecordedData['findings'],
  };
  let done = false;
  const record: Recorder = async (outcome, details = {}) => {
    if (done) return;
    done = true;
    Object.assign(recorded, details);
    await handler.execute(
      { decider: gatewayRequestDecider },
      gatewayRequestStream(caller.tenantId, requestId),
      {
        type: 'RecordGatewayRequest',
        ...recorded,
        outcome,
        latencyMs: Math.round(performance.now() - started),
      },
      commandContextOf(caller, correlationId),
      { expect: 'new', generatedId: true },
    );
  };
  /** Records the refusal and throws it (a failure to record it is the ledger's failure). */
  const refuse = async (
    status: number,
    error: OpenAiError,
    outcome: GatewayOutcome,
    details: Partial<GatewayRequestRecordedData> = {},
    retryAfter?: number,
  ): Promise<never> => {
    try {
      await record(outcome, details);
    } catch {
      throw ledgerFailure(requestId, details.analysisId ?? null);
    }
    throw new GatewayRefusal(status, error, requestId, details.analysisId ?? null, retryAfter);
  };

  // 1. Rate, per key (or per chat user).
  const perMinute = caller.requestsPerMinute ?? config.GATEWAY_KEY_REQUESTS_PER_MINUTE;
  const wait = await deps.rate.take(caller.keyId ?? `user:${caller.userId}`, perMinute);
  if (wait !== null)
    await refuse(
      429,
      openAi(
        `Rate limit reached: ${perMinute} requests a minute for this key. Retry in ${wait} s.`,
        'requests',
        'rate_limit_exceeded',
      ),
      'rate-limited',
      {},
      wait,
    );

  // The texts, checked before anything is reserved or recorded for them.
  const extracted = extractTexts(incoming.messages, incoming.parameters);
  if (extracted.prompt.length > config.PROMPT_MAX_CHARS)
    throw new GatewayRefusal(
      400,
      openAi(
        `The messages hold ${extracted.prompt.length} characters of text; at most ${config.PROMPT_MAX_CHARS} are accepted`,
        'invalid_request_error',
        'context_length_exceeded',
        'messages',
      ),
    );
  // A request without any text is analysed as one empty line: its service standing is still recorded.
  const prompt = extracted.prompt.trim() === '' ? '\n' : extracted.prompt;

  // 2. Route the model to an approved service the caller may use, with a provider.
  // What was read with the key, at its check (keys.ts), is used as read, not read again.
  const read = standingRead.get(caller);
  let client: { frameworks: PolicyContext['frameworks']; governance: ClientAiState };
  try {
    client = read
      ? standingOf(read.client, read.governance)
      : await clientPolicy(handler, caller.tenantId, caller.clientId);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'not_found')
      throw new GatewayRefusal(
        401,
        openAi('The key’s client is not active', 'invalid_request_error', 'invalid_api_key'),
      );
    throw error;
  }
  const { governance } = client;
  const settings = governance.gateway ?? DEFAULT_GATEWAY_SETTINGS;
  const approved = Object.entries(governance.services)
    .filter(([id, status]) => status === 'approved' && (caller.aiServiceIds?.includes(id) ?? true))
    .map(([id]) => id);
  const unread = approved.filter((id) => !read?.services.has(id));
  const loaded = await handler.loadMany(unread.map((id) => routeStream(caller.tenantId, id)));
  const states = new Map(unread.map((id, i) => [id, loaded[i]!.state as AiServiceState]));
  const services = approved.map((aiServiceId) => ({
    aiServiceId,
    ...(read?.services.get(aiServiceId) ?? states.get(aiServiceId)!),
  }));
  if (caller.keyId) deps.keyHints.set(caller.keyId, caller.clientId, approved);
  const found = services
    .sort((a, b) => a.aiServiceId.localeCompare(b.aiServiceId))
    .find((s) => s.profile?.models.includes(incoming.model) && s.provider);
  if (!found) return unapproved(deps, caller, incoming, prompt, client, refuse, correlationId);
  const route: Route = { aiServiceId: found.aiServiceId, profile: found.profile!, provider: found.provider! };
  recorded.aiServiceId = route.aiServiceId;

  // 3. The monthly budget: an estimate reserved now, settled to the real usage afterwards.
  const month = budgetMonth(new Date());
  let reserved = 0;
  if (settings.monthlyTokenBudget !== null) {
    const estimate = countTokens(prompt) + (incoming.maxTokens ?? config.GATEWAY_DEFAULT_COMPLETION_TOKENS);
    const ok = await deps.budget.reserve(
      caller.tenantId,
      caller.clientId,
      month,
      estimate,
      settings.monthlyTokenBudget,
    );
    if (!ok)
      await refuse(
        429,
        openAi(
          `The client's monthly token budget (${settings.monthlyTokenBudget}) would be exceeded by this request (about ${estimate} tokens)`,
          'insufficient_quota',
          'insufficient_quota',
        ),
        'budget-exhausted',
      );
    reserved = estimate;
  }
  const release = () =>
    reserved > 0
      ? deps.budget.settle(caller.tenantId, caller.clientId, month, -reserved).catch(() => undefined)
      : undefined;

  // 4. The input analysis, recorded before anything leaves.
  const context = await policyContext(handler, caller.tenantId, caller.clientId, route.aiServiceId, {
    ...client,
    profile: route.profile,
  });
  let analysis;
  try {
    analysis = await analyzeAndRecord(
      resources,
      handler,
      {
        tenantId: caller.tenantId,
        clientId: caller.clientId,
        aiServiceId: route.aiServiceId,
        prompt,
        userRef: caller.userRef,
        conversationId: incoming.conversationId ?? null,
        context,
      },
      commandContextOf(caller, correlationId),
    );
  } catch (error) {
    await release();
    // The prompt itself refused (the client's patterns match it too often): the caller's to change, not a failure.
    if (error instanceof DomainError && error.code === 'invalid')
      throw new GatewayRefusal(400, openAi(error.message, 'invalid_request_error', 'invalid_prompt', 'messages'));
    throw ledgerFailure(requestId);
  }
  const { analysisId } = analysis;
  const { decision, findings, reasons } = analysis.analysis;
  const input = countFindings(findings);
  recorded.analysisId = analysisId;
  recorded.decision = decision;
  recorded.findings = { input, output: [] };
  if (decision === 'block') {
    await release();
    await refuse(
      400,
      {
        ...openAi(
          `Blocked by the client's AI usage policy (analysis ${analysisId}): ${reasons.join('; ')}`,
          'policy_violation',
          'policy_violation',
          'messages',
        ),
        analysis_id: analysisId,
        reasons,
      },
      'blocked',
      { analysisId },
    );
  }
  if (extracted.unanalysable.length > 0 && settings.unanalysableParts === 'block') {
    await release();
    await refuse(
      400,
      {
        ...openAi(
          `The request has parts the ledger cannot analyse (${[...new Set(extracted.unanalysable)].join(', ')}), which the client's gateway settings block (analysis ${analysisId})`,
          'policy_violation',
          'unanalysable_content',
          'messages',
        ),
        analysis_id: analysisId,
        reasons: [`unanalysable parts: ${[...new Set(extracted.unanalysable)].join(', ')}`],
      },
      'unanalysable',
      { analysisId },
    );
  }

  // 5. Redact: placeholders in place of the values, the mapping in memory only.
  const placeholders = new Placeholders(extracted.segments.map((segment) => segment.text));
  const outgoing = redactRequest(
    { messages: incoming.messages, parameters: incoming.parameters ?? {} },
    extracted,
    findings,
    placeholders,
  );
  return {
    requestId,
    caller,
    route,
    context,
    settings,
    analysisId,
    decision,
    inputFindings: findings,
    placeholders,
    sent: outgoing.messages,
    parameters: outgoing.parameters,
    reserved,
    month,
    record,
  };
}

/**
 * No approved service the caller may use offers the model. A service of the registry that offers it (not approved,
 * revoked, or beyond the key) is analysed against, so the usual unapproved-ai-service violation is recorded; when
 * none offers it, the analysis is against no service, its reason naming the model (shadow AI). An approved service
 * the key may not use, or one without a provider, is refused without a violation: nothing unapproved was attempted.
 */
async function unapproved(
  deps: GatewayDeps,
  caller: GatewayCaller,
  incoming: Incoming,
  prompt: string,
  client: { frameworks: PolicyContext['frameworks']; governance: ClientAiState },
  refuse: (
    status: number,
    error: OpenAiError,
    outcome: GatewayOutcome,
    details?: Partial<GatewayRequestRecordedData>,
  ) => Promise<never>,
  correlationId: string,
): Promise<never> {
  const { resources, handler } = deps;
  const notFound = (message: string, analysisId: string | null = null) => ({
    ...openAi(message, 'invalid_request_error', 'model_not_found', 'model'),
    ...(analysisId ? { analysis_id: analysisId } : {}),
  });
  const offering = await asTenant(resources.database.db, { tenantId: caller.tenantId, clientId: null }, async (trx) =>
    (
      await sql<{ ai_service_id: string }>`select ai_service_id from ai_services
        where tenant_id = ${caller.tenantId} and ${incoming.model} = any(models) order by ai_service_id`.execute(trx)
    ).rows.map((row) => row.ai_service_id),
  ).catch(() => [] as string[]);
  const status = (id: string) => client.governance.services[id];
  if (offering.some((id) => status(id) === 'approved'))
    return refuse(
      404,
      notFound(
        `The model "${recordableModel(incoming.model)}" is not available to this key (no provider set, or not among its AI services)`,
      ),
      'unapproved-model',
    );
  const aiServiceId = offering[0] ?? unregisteredModelId(caller.tenantId, incoming.model);
  const context = await policyContext(handler, caller.tenantId, caller.clientId, aiServiceId, {
    ...client,
    ...(offering[0] ? {} : { profile: null }),
  });
  const named = recordableModel(incoming.model);
  if (!offering[0]) context.service = { ...context.service, registered: false, model: named };
  let analysis;
  try {
    analysis = await analyzeAndRecord(
      resources,
      handler,
      {
        tenantId: caller.tenantId,
        clientId: caller.clientId,
        aiServiceId,
        prompt,
        userRef: caller.userRef,
        conversationId: null,
        context,
      },
      commandContextOf(caller, correlationId),
    );
  } catch {
    throw ledgerFailure(null);
  }
  return refuse(
    404,
    {
      ...notFound(
        `The model "${named}" is offered by no AI service approved for this client; recorded as a violation (analysis ${analysis.analysisId})`,
        analysis.analysisId,
      ),
      reasons: analysis.analysis.reasons,
    },
    'unapproved-model',
    {
      aiServiceId: offering[0] ?? null,
      analysisId: analysis.analysisId,
      decision: analysis.analysis.decision,
      findings: { input: countFindings(analysis.analysis.findings), output: [] },
    },
  );
}
