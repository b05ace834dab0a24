import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  aiServiceDecider,
  aiServicePersonalData,
  aiServiceStream,
  AiServiceProfile,
  type ProviderChoice,
} from '../../domain/ai-governance/ai-service.js';
import {
  ACTIONS,
  approvalWarnings,
  clientAiDecider,
  clientAiStream,
  type AiPolicy,
} from '../../domain/ai-governance/client-ai-governance.js';
import { clientDecider, clientStream } from '../../domain/clients/client.js';
import { assertClientAccess, authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem, invalidFields, notFound } from '../../infrastructure/http/problem.js';
import type { OutboundGuard } from '../../infrastructure/outbound/guard.js';
import type { CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { requireOutboundUrl } from '../http/outbound-url.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';

const write = { permission: 'ai-service:write' } as const;
const ClientPath = z.object({ id: Id });

const PolicyRuleBody = z.strictObject({
  entity: z.string().max(64),
  minScore: z.number().min(0).max(1),
  action: z.enum(ACTIONS),
  aiServiceIds: z
    .array(Id)
    .min(1)
    .max(50)
    .describe('The AI services of the registry the rule applies to; leave out for every service')
    .optional(),
});

const AiPolicyBody = z.strictObject({
  rules: z.array(PolicyRuleBody).max(100),
  unapprovedService: z.enum(ACTIONS),
  customPatterns: z
    .array(
      z.strictObject({
        entity: z.string().max(64),
        pattern: z.string().min(1).max(500),
        score: z.number().min(0).max(1),
      }),
    )
    .max(50)
    .optional(),
  regions: z
    .array(z.string().regex(/^[A-Z]{2}$/))
    .max(20)
    .describe('Regions for phone numbers written without a country code (default US)')
    .optional(),
});

/** The MSP's registry of AI services, and each client's approvals and AI usage policy. */
/** The signed-in actor, if the MSP's own: the AI service registry is kept by the MSP, clients approve from it. */
function registryKeeper(res: Response): ReturnType<typeof authOf> {
  const actor = authOf(res);
  if (actor.clientId !== null)
    throw new HttpProblem(
      403,
      'forbidden',
      'Forbidden',
      'The AI service registry is kept by the MSP; clients approve services from it.',
    );
  return actor;
}

/** Provider settings as PUT /ai-services/{id}/provider and POST /ai-services take them. */
const ProviderBody = z.strictObject({
  baseUrl: z
    .string()
    .min(8)
    .max(2000)
    .describe('The OpenAI-compatible API root, such as https://api.openai.com/v1 (no query, no credentials)'),
  apiKey: z
    .string()
    .min(1)
    .max(4000)
    .nullable()
    .describe("The provider's API key, sent as a Bearer token; absent keeps the one set before, null sends none")
    .optional(),
  timeoutMs: z.int().min(1000).max(600_000).describe('How long to wait for the provider (default 60000)').optional(),
});

/** How a client's gateway traffic is treated (issue 13): all three fields, every time. */
const GatewaySettingsBody = z.strictObject({
  monthlyTokenBudget: z
    .int()
    .min(1)
    .max(1_000_000_000_000)
    .nullable()
    .describe('Tokens (in and out) per calendar month (UTC); null for no budget'),
  unanalysableParts: z
    .enum(['block', 'allow'])
    .describe('Message parts the engine cannot read (images, audio, files): blocked, or forwarded unread'),
  outputRules: z
    .array(PolicyRuleBody)
    .max(100)
    .describe(
      "Rules for the answers; an entity without one follows the usage policy's rule, and secrets are redacted at least",
    ),
});

export function aiGovernanceCommands(handler: CommandHandler, providerGuard: OutboundGuard) {
  /** Provider settings as given, once their baseUrl is vetted (`field` names it in a refusal). */
  function providerChoice(body: z.output<typeof ProviderBody>, field: string): ProviderChoice {
    requireOutboundUrl(providerGuard, body.baseUrl, {
      field,
      what: 'provider base URL',
      allowlist: 'PROVIDER_ALLOWED_HOSTS',
      base: true,
    });
    return {
      baseUrl: body.baseUrl,
      ...(body.apiKey !== undefined ? { apiKey: body.apiKey } : {}),
      ...(body.timeoutMs !== undefined ? { timeoutMs: body.timeoutMs } : {}),
    };
  }

  /** Approvals and policies are for an existing client that is not archived. */
  async function requireActiveClient(tenantId: string, clientId: string) {
    const { state } = await handler.load({ decider: clientDecider }, clientStream(tenantId, clientId));
    if (state.status === 'none') throw notFound('client');
    if (state.status === 'archived') throw new HttpProblem(410, 'gone', 'Gone', 'The client is archived.');
    return state;
  }

  /** Each AI service a rule names is in the registry: a mistyped id is refused by name, not kept as a rule that never applies. */
  async function requireRegistered(
    tenantId: string,
    rules: Array<{ aiServiceIds?: string[] | undefined }>,
    field = 'rules',
  ) {
    const named = [...new Set(rules.flatMap((rule) => rule.aiServiceIds ?? []))];
    const known = new Set<string>();
    await Promise.all(
      named.map(async (id) => {
        if ((await handler.load({ decider: aiServiceDecider }, aiServiceStream(tenantId, id))).state.exists)
          known.add(id);
      }),
    );
    const unknown = rules.flatMap((rule, i) =>
      (rule.aiServiceIds ?? []).flatMap((id, j) =>
        known.has(id)
          ? []
          : [{ field: `${field}.${i}.aiServiceIds.${j}`, message: `no AI service ${id} in the registry` }],
      ),
    );
    if (unknown.length > 0)
      throw new HttpProblem(
        422,
        'unknown-ai-service',
        'Unknown AI service',
        unknown.map((u) => `${u.field}: ${u.message}`).join('; '),
        {
          errors: unknown,
        },
      );
  }

  const decisions = (['approve', 'revoke'] as const).map((decision) =>
    operation({
      operationId: `${decision}AiService`,
      method: 'post',
      path: `/clients/{id}/ai-services/{serviceId}/${decision}`,
      tags: ['ai-governance'],
      summary:
        decision === 'approve' ? 'Approve an AI service for a client' : "Revoke a client's approval of an AI service",
      access: write,
      headers: ['Idempotency-Key', 'If-Match'],
      params: z.object({ id: Id, serviceId: Id }),
      body: z.strictObject({ reason: z.string().min(1).max(1000) }),
      answers: {
        200: {
          description: 'Recorded',
          schema: commandAnswer(
            z.object({
              clientId: Id,
              aiServiceId: Id,
              status: z.enum(['approved', 'revoked']),
              warnings: z
                .array(z.string())
                .describe(
                  'What the approval goes against (a HIPAA client and no BAA, a GDPR client and no DPA); also recorded in the event',
                ),
            }),
          ),
        },
        404: { description: 'No such client or AI service in your tenant', problem: true },
        410: { description: 'The client is archived', problem: true },
        412: { description: 'Stale If-Match', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const { id: clientId, serviceId: aiServiceId } = req.params;
        assertClientAccess(actor, clientId);
        const client = await requireActiveClient(actor.tenantId, clientId);
        const service = await handler.load({ decider: aiServiceDecider }, aiServiceStream(actor.tenantId, aiServiceId));
        if (!service.state.exists || !service.state.profile) throw notFound('AI service');
        const { reason } = req.body;
        const approvalContext = {
          frameworks: client.profile?.frameworks ?? [],
          service: service.state.profile,
        };
        const result = await handler.execute(
          { decider: clientAiDecider },
          clientAiStream(actor.tenantId, clientId),
          decision === 'approve'
            ? { type: 'ApproveAiService', aiServiceId, reason, context: approvalContext }
            : { type: 'RevokeAiService', aiServiceId, reason },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        // An approval already in place records nothing: its warnings are those of the service's contracts now.
        const warnings = decision === 'approve' ? approvalWarnings(approvalContext) : [];
        sendCommandResult(
          res,
          200,
          { clientId, aiServiceId, status: result.state.services[aiServiceId], warnings },
          result,
        );
      },
    }),
  );

  return [
    operation({
      operationId: 'registerAiService',
      method: 'post',
      path: '/ai-services',
      tags: ['ai-governance'],
      summary: "Add an AI service to the MSP's registry",
      access: write,
      headers: ['Idempotency-Key'],
      description:
        'With `provider`, the gateway can route to it at once (as PUT /ai-services/{id}/provider sets it; its API key sealed, never returned).',
      body: z.strictObject({ ...AiServiceProfile.shape, provider: ProviderBody.optional() }),
      answers: {
        201: { description: 'Registered', schema: commandAnswer(z.object({ aiServiceId: Id })) },
        422: {
          description: 'provider.baseUrl is refused: a private or loopback address not allowlisted',
          problem: true,
        },
      },
      async handler(req, res) {
        const actor = registryKeeper(res);
        const aiServiceId = randomUUID();
        const { provider, ...profile } = req.body;
        const result = await handler.execute(
          { decider: aiServiceDecider, personalData: aiServicePersonalData },
          aiServiceStream(actor.tenantId, aiServiceId),
          {
            type: 'RegisterAiService',
            aiServiceId,
            ...profile,
            ...(provider ? { provider: { ...providerChoice(provider, 'provider.baseUrl'), setBy: actor.userId } } : {}),
          },
          commandContext(req, res),
          { expect: 'new' },
        );
        res.setHeader('Location', `/api/v1/ai-services/${aiServiceId}`);
        sendCommandResult(res, 201, { aiServiceId }, result);
      },
    }),
    operation({
      operationId: 'updateAiService',
      method: 'put',
      path: '/ai-services/{id}',
      tags: ['ai-governance'],
      summary: "Update an AI service of the MSP's registry, such as a BAA or DPA signed later",
      description:
        'Send the fields to change (at least one); the others stay. Only the fields whose value is new are recorded (AiServiceUpdated); nothing new records nothing.',
      access: write,
      headers: ['Idempotency-Key', 'If-Match'],
      params: z.object({ id: Id }),
      body: z.strictObject(AiServiceProfile.partial().shape),
      answers: {
        200: {
          description: 'Updated (changed lists the fields recorded)',
          schema: commandAnswer(z.object({ aiServiceId: Id, changed: z.array(z.string()) })),
        },
        403: { description: 'A client-scoped user: the registry is kept by the MSP', problem: true },
        404: { description: 'No such AI service in your tenant', problem: true },
        412: { description: 'Stale If-Match', problem: true },
      },
      async handler(req, res) {
        const actor = registryKeeper(res);
        if (Object.keys(req.body).length === 0)
          throw invalidFields([
            { field: 'body', message: `send at least one of ${Object.keys(AiServiceProfile.shape).join(', ')}` },
          ]);
        const aiServiceId = req.params.id;
        const stream = aiServiceStream(actor.tenantId, aiServiceId);
        if (!(await handler.load({ decider: aiServiceDecider }, stream)).state.exists) throw notFound('AI service');
        const result = await handler.execute(
          { decider: aiServiceDecider },
          stream,
          { type: 'UpdateAiService', changes: req.body, updatedBy: actor.userId },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        const changed = result.events.flatMap((event) =>
          event.type === 'AiServiceUpdated' ? Object.keys(event.data.changes) : [],
        );
        sendCommandResult(res, 200, { aiServiceId, changed }, result);
      },
    }),
    operation({
      operationId: 'setAiServiceProvider',
      method: 'put',
      path: '/ai-services/{id}/provider',
      tags: ['ai-governance', 'gateway'],
      summary: "Where the gateway forwards an AI service's traffic: an OpenAI-compatible base URL and its API key",
      description:
        "The API key is sealed with the ledger's master key: never returned (reads show apiKeySet), never logged. Leave apiKey out to keep the key set before; null sends none. A baseUrl whose host is a private, loopback, link-local or metadata address is refused unless the operator allowlisted it (PROVIDER_ALLOWED_HOSTS); only allowlisted hosts may use plain http. The gateway checks the URL again, with DNS, at each call. The models the service serves are its `models`.",
      access: write,
      headers: ['Idempotency-Key', 'If-Match'],
      params: z.object({ id: Id }),
      body: ProviderBody,
      answers: {
        200: {
          description: 'Set',
          schema: commandAnswer(
            z.object({
              aiServiceId: Id,
              provider: z.object({ baseUrl: z.string(), apiKeySet: z.boolean(), timeoutMs: z.int() }),
            }),
          ),
        },
        403: { description: 'A client-scoped user: the registry is kept by the MSP', problem: true },
        404: { description: 'No such AI service in your tenant', problem: true },
        412: { description: 'Stale If-Match', problem: true },
        422: { description: 'The baseUrl is refused: a private or loopback address not allowlisted', problem: true },
      },
      async handler(req, res) {
        const actor = registryKeeper(res);
        const choice = providerChoice(req.body, 'baseUrl');
        const aiServiceId = req.params.id;
        const services = { decider: aiServiceDecider, personalData: aiServicePersonalData };
        const stream = aiServiceStream(actor.tenantId, aiServiceId);
        if (!(await handler.load(services, stream)).state.exists) throw notFound('AI service');
        const result = await handler.execute(
          services,
          stream,
          { type: 'SetAiServiceProvider', ...choice, setBy: actor.userId },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        const provider = result.state.provider!;
        sendCommandResult(
          res,
          200,
          {
            aiServiceId,
            provider: { baseUrl: provider.baseUrl, apiKeySet: provider.apiKey !== null, timeoutMs: provider.timeoutMs },
          },
          result,
        );
      },
    }),
    ...decisions,
    operation({
      operationId: 'setGatewaySettings',
      method: 'put',
      path: '/clients/{id}/gateway-settings',
      tags: ['ai-governance', 'gateway'],
      summary:
        "Set how the gateway treats a client's AI traffic: a monthly token budget, unreadable parts, rules for answers",
      access: write,
      headers: ['Idempotency-Key', 'If-Match'],
      params: ClientPath,
      body: GatewaySettingsBody,
      answers: {
        200: { description: 'Set', schema: commandAnswer(z.object({ clientId: Id })) },
        404: { description: 'No such client in your tenant', problem: true },
        410: { description: 'The client is archived', problem: true },
        412: { description: 'Stale If-Match', problem: true },
        422: { description: 'An output rule naming an AI service that is not in the registry', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const clientId = req.params.id;
        assertClientAccess(actor, clientId);
        await requireActiveClient(actor.tenantId, clientId);
        const { monthlyTokenBudget, unanalysableParts, outputRules } = req.body;
        await requireRegistered(actor.tenantId, outputRules, 'outputRules');
        const result = await handler.execute(
          { decider: clientAiDecider },
          clientAiStream(actor.tenantId, clientId),
          { type: 'SetGatewaySettings', settings: { monthlyTokenBudget, unanalysableParts, outputRules } },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        sendCommandResult(res, 200, { clientId }, result);
      },
    }),
    operation({
      operationId: 'setAiPolicy',
      method: 'put',
      path: '/clients/{id}/ai-policy',
      tags: ['ai-governance'],
      summary: "Set a client's AI usage policy: what happens to each kind of sensitive data in a prompt",
      access: write,
      headers: ['Idempotency-Key', 'If-Match'],
      params: ClientPath,
      body: AiPolicyBody,
      answers: {
        200: { description: 'Set', schema: commandAnswer(z.object({ clientId: Id })) },
        404: { description: 'No such client in your tenant', problem: true },
        410: { description: 'The client is archived', problem: true },
        412: { description: 'Stale If-Match', problem: true },
        422: {
          description: 'A custom pattern the linear-time engine cannot run, or that costs too much',
          problem: true,
        },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const clientId = req.params.id;
        assertClientAccess(actor, clientId);
        await requireActiveClient(actor.tenantId, clientId);
        const { rules, unapprovedService, customPatterns, regions } = req.body;
        await requireRegistered(actor.tenantId, rules);
        const policy: AiPolicy = { rules, unapprovedService, customPatterns: customPatterns ?? [] };
        if (regions) policy.regions = regions;
        const result = await handler.execute(
          { decider: clientAiDecider },
          clientAiStream(actor.tenantId, clientId),
          { type: 'SetAiPolicy', policy },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        sendCommandResult(res, 200, { clientId }, result);
      },
    }),
  ];
}
