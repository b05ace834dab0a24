import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import {
  ACTIONS,
  clientAiDecider,
  clientAiStream,
  DEFAULT_GATEWAY_SETTINGS,
  type ClientAiEvent,
  type ClientAiState,
} from '../../domain/ai-governance/client-ai-governance.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { aiServiceStream } from '../../domain/ai-governance/ai-service.js';
import { clientStream } from '../../domain/clients/client.js';
import { DEFAULT_UNAPPROVED_SERVICE_ACTION } from '../../domain/prompt-analysis/usage-policy.js';
import { assertClientAccess, authOf, type Authenticated } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging, resource } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import {
  AiService,
  aiServiceOf,
  aiServicesProjection,
  type AiUsage,
} from '../../projections/read-models/ai-services.js';
import { minPosition } from '../http/min-position.js';
import { listMeta, notFound, pageOf, readModels, visibleClient, type ReadDeps } from '../http/reads.js';
import type { ReadModels } from '../../projections/read-models/tables.js';

/**
 * The registry's services, with their use over 30 days and, for a client, its approval of each ("none" where it
 * never decided; null without a client).
 */
function registry(trx: Transaction<ReadModels>, clientId: string | null) {
  const services = trx
    .selectFrom('ai_services as s')
    .selectAll('s')
    .select((eb) => [
      eb
        .selectFrom('ai_usage as u')
        .select(
          sql<AiUsage>`json_build_object('analysed', coalesce(sum(u.analysed), 0), 'warned', coalesce(sum(u.warned), 0), 'redacted', coalesce(sum(u.redacted), 0), 'blocked', coalesce(sum(u.blocked), 0))`.as(
            'usage',
          ),
        )
        .whereRef('u.ai_service_id', '=', 's.ai_service_id')
        .where('u.day', '>', sql<Date>`current_date - 30`)
        .$if(clientId !== null, (usage) => usage.where('u.client_id', '=', clientId!))
        .$asScalar()
        .$notNull()
        .as('usage'),
      sql<string>`count(*) over ()`.as('total'),
    ])
    .orderBy('s.name')
    .orderBy('s.ai_service_id');
  return clientId === null
    ? services.select(sql<'approved' | 'revoked' | 'none' | null>`null`.as('approval'))
    : services
        .leftJoin('ai_service_approvals as a', (join) =>
          join.onRef('a.ai_service_id', '=', 's.ai_service_id').on('a.client_id', '=', clientId),
        )
        .select((eb) => eb.fn.coalesce('a.status', sql<'none'>`'none'`).as('approval'));
}

/** A client's AI usage policy as GET /clients/{id}/ai-policy shows it. */
const AiPolicyResource = z
  .object({
    clientId: Id,
    set: z.boolean().describe('false while the client has set no policy: the rest are then the defaults'),
    rules: z.array(
      z.object({
        entity: z.string(),
        minScore: z.number(),
        action: z.enum(ACTIONS),
        aiServiceIds: z.array(Id).optional().describe('The AI services the rule applies to; absent: every service'),
      }),
    ),
    unapprovedService: z.enum(ACTIONS),
    customPatterns: z.array(z.object({ entity: z.string(), pattern: z.string(), score: z.number() })),
    regions: z.array(z.string()),
  })
  .meta({ id: 'AiPolicy' });

const Rule = z.object({
  entity: z.string(),
  minScore: z.number(),
  action: z.enum(ACTIONS),
  aiServiceIds: z.array(Id).optional().describe('The AI services the rule applies to; absent: every service'),
});

/** A client's gateway settings as GET /clients/{id}/gateway-settings shows them. */
const GatewaySettingsResource = z
  .object({
    clientId: Id,
    set: z.boolean().describe('false while the client has set none: the rest are then the defaults'),
    monthlyTokenBudget: z.int().nullable().describe('Tokens (in and out) per calendar month (UTC); null: no budget'),
    unanalysableParts: z.enum(['block', 'allow']),
    outputRules: z.array(Rule),
  })
  .meta({ id: 'GatewaySettings' });

/** A client's AI governance state, folded from its own stream (current as soon as a command answers); null: no client. */
/** The AI governance of a client the caller may see, from its own stream: 404 for no such client. */
async function governanceOf(eventStore: EventStore, actor: Authenticated, clientId: string): Promise<ClientAiState> {
  assertClientAccess(actor, clientId);
  const [client, governance] = await Promise.all([
    eventStore.readStream(clientStream(actor.tenantId, clientId), { maxCount: 1 }),
    eventStore.readStream(clientAiStream(actor.tenantId, clientId)),
  ]);
  if (client.length === 0) throw notFound('client');
  return governance.reduce(
    (current, event) => clientAiDecider.evolve(current, event as unknown as ClientAiEvent),
    clientAiDecider.initialState(),
  );
}

/** GET /ai-services: the MSP's registry; for one client, its approvals and its use of each service. */
export function aiServiceReads(deps: ReadDeps & { waitMs: number }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [aiServicesProjection], deps.waitMs);
  return [
    operation({
      operationId: 'listAiServices',
      method: 'get',
      path: '/ai-services',
      tags: ['ai-governance'],
      summary:
        "The AI service registry; with clientId, that client's approval of each and its use of them over 30 days",
      access: { permission: 'ai-service:read' },
      headers: ['X-Min-Position'],
      query: Paging.extend({ clientId: Id.optional() }),
      answers: {
        200: { description: 'AI services', schema: page(AiService) },
        404: { description: 'No such client (clientId) that you may see', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        // ?clientId= is whose approvals to show, not a filter: another client's would read "none", so it is a 404.
        const clientId = await visibleClient(deps.eventStore, actor, req.query.clientId);
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) =>
          registry(trx, clientId).limit(paging.size).offset(paging.offset).execute(),
        );
        res.json({ data: rows.map(aiServiceOf), meta: listMeta(paging, Number(rows[0]?.total ?? 0)) });
      },
    }),
    operation({
      operationId: 'getAiPolicy',
      method: 'get',
      path: '/clients/{id}/ai-policy',
      tags: ['ai-governance'],
      summary: "A client's AI usage policy as last set: its rules, its custom patterns, its regions",
      description:
        "Read from the client's own stream, so it is current as soon as PUT answers. `set` is false (and the rest the defaults) while the client has set no policy. Names the rules and patterns only; who set it is in /history.",
      access: { permission: 'ai-service:read' },
      params: z.object({ id: Id }),
      etag: ({ id }, tenantId) => clientAiStream(tenantId, id),
      answers: {
        200: { description: 'The policy', schema: resource(AiPolicyResource) },
        404: { description: 'No such client in your tenant', problem: true },
      },
      async handler(req, res) {
        const clientId = req.params.id;
        const state = await governanceOf(deps.eventStore, authOf(res), clientId);
        const policy = state.policy;
        res.json({
          data: {
            clientId,
            set: policy !== undefined,
            rules: (policy?.rules ?? []).map(({ entity, minScore, action, aiServiceIds }) => ({
              entity,
              minScore,
              action,
              ...(aiServiceIds ? { aiServiceIds } : {}),
            })),
            unapprovedService: policy?.unapprovedService ?? DEFAULT_UNAPPROVED_SERVICE_ACTION,
            customPatterns: (policy?.customPatterns ?? []).map(({ entity, pattern, score }) => ({
              entity,
              pattern,
              score,
            })),
            regions: policy?.regions ?? ['US'],
          },
          meta: {},
        });
      },
    }),
    operation({
      operationId: 'getGatewaySettings',
      method: 'get',
      path: '/clients/{id}/gateway-settings',
      tags: ['ai-governance', 'gateway'],
      summary: "How the gateway treats a client's AI traffic: its monthly token budget, unreadable parts, output rules",
      description:
        "Read from the client's own stream, so it is current as soon as PUT answers. `set` is false (and the rest the defaults: no budget, unreadable parts blocked, no output rules) while the client has set none.",
      access: { permission: 'ai-service:read' },
      params: z.object({ id: Id }),
      etag: ({ id }, tenantId) => clientAiStream(tenantId, id),
      answers: {
        200: { description: 'The settings', schema: resource(GatewaySettingsResource) },
        404: { description: 'No such client in your tenant', problem: true },
      },
      async handler(req, res) {
        const clientId = req.params.id;
        const state = await governanceOf(deps.eventStore, authOf(res), clientId);
        const settings = state.gateway ?? DEFAULT_GATEWAY_SETTINGS;
        res.json({
          data: {
            clientId,
            set: state.gateway !== undefined,
            monthlyTokenBudget: settings.monthlyTokenBudget,
            unanalysableParts: settings.unanalysableParts,
            outputRules: settings.outputRules.map(({ entity, minScore, action, aiServiceIds }) => ({
              entity,
              minScore,
              action,
              ...(aiServiceIds ? { aiServiceIds } : {}),
            })),
          },
          meta: {},
        });
      },
    }),
    operation({
      operationId: 'getAiService',
      method: 'get',
      path: '/ai-services/{id}',
      tags: ['ai-governance'],
      summary: "One AI service of the registry; with clientId, that client's approval of it and its use over 30 days",
      access: { permission: 'ai-service:read' },
      headers: ['X-Min-Position'],
      params: z.object({ id: Id }),
      etag: ({ id }, tenantId) => aiServiceStream(tenantId, id),
      query: z.object({ clientId: Id.optional() }),
      answers: {
        200: { description: 'The AI service', schema: resource(AiService) },
        404: { description: 'No such AI service, or no such client (clientId) that you may see', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const clientId = await visibleClient(deps.eventStore, actor, req.query.clientId);
        const row = await asTenant(readModels(deps.database), actor, (trx) =>
          registry(trx, clientId).where('s.ai_service_id', '=', req.params.id).executeTakeFirst(),
        );
        if (!row) throw notFound('AI service');
        res.json({ data: aiServiceOf(row), meta: {} });
      },
    }),
  ];
}
