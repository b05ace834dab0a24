import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import { aiServiceDecider, type AiServiceProfile } from '../../domain/ai-governance/ai-service.js';
import { clientAiDecider, type AiPolicy } from '../../domain/ai-governance/client-ai-governance.js';
import { clientDecider } from '../../domain/clients/client.js';
import { assertClientAccess, authOf, requirePermission } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { clientStream } from '../../domain/clients/client.js';
import { commandContext } from '../http/context.js';
import type { CommandHandler } from '../http/command-handler.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';

export const aiServiceStream = (tenantId: string, aiServiceId: string): string =>
  `${tenantId}/ai-service/${aiServiceId}`;
export const clientAiStream = (tenantId: string, clientId: string): string => `${tenantId}/client-ai/${clientId}`;

/** Mounted at /ai-services: the MSP's registry of AI services. */
export function aiServiceRoutes(handler: CommandHandler): Router {
  const router = express.Router();
  router.post('/', requirePermission('ai-service:write'), async (req, res) => {
    const actor = authOf(res);
    if (actor.clientId !== null)
      throw new HttpProblem(
        403,
        'forbidden',
        'Forbidden',
        'The AI service registry is kept by the MSP; clients approve services from it.',
      );
    const aiServiceId = randomUUID();
    const result = await handler.execute(
      { decider: aiServiceDecider },
      aiServiceStream(actor.tenantId, aiServiceId),
      { type: 'RegisterAiService', aiServiceId, ...(req.body as AiServiceProfile) },
      commandContext(req, res),
      { expect: 'new' },
    );
    res.setHeader('Location', `/api/v1/ai-services/${aiServiceId}`);
    sendCommandResult(res, 201, { aiServiceId }, result);
  });
  return router;
}

/** Mounted at /clients: approvals and the AI usage policy of one client. */
export function clientAiRoutes(handler: CommandHandler): Router {
  const router = express.Router();

  async function requireActiveClient(tenantId: string, clientId: string): Promise<void> {
    const { state } = await handler.load({ decider: clientDecider }, clientStream(tenantId, clientId));
    if (state.status === 'none') throw new HttpProblem(404, 'not-found', 'Not found', 'No such client.');
    if (state.status === 'archived') throw new HttpProblem(410, 'gone', 'Gone', 'The client is archived.');
  }

  for (const decision of ['approve', 'revoke'] as const) {
    router.post(`/:id/ai-services/:serviceId/${decision}`, requirePermission('ai-service:write'), async (req, res) => {
      const actor = authOf(res);
      const clientId = String(req.params.id);
      const aiServiceId = String(req.params.serviceId);
      assertClientAccess(actor, clientId);
      await requireActiveClient(actor.tenantId, clientId);
      const service = await handler.load({ decider: aiServiceDecider }, aiServiceStream(actor.tenantId, aiServiceId));
      if (!service.state.exists) throw new HttpProblem(404, 'not-found', 'Not found', 'No such AI service.');
      const { reason } = req.body as { reason: string };
      const result = await handler.execute(
        { decider: clientAiDecider },
        clientAiStream(actor.tenantId, clientId),
        decision === 'approve'
          ? { type: 'ApproveAiService', aiServiceId, reason }
          : { type: 'RevokeAiService', aiServiceId, reason },
        commandContext(req, res),
        { ifMatch: ifMatchOf(req) },
      );
      sendCommandResult(res, 200, { clientId, aiServiceId, status: result.state.services[aiServiceId] }, result);
    });
  }

  router.put('/:id/ai-policy', requirePermission('ai-service:write'), async (req, res) => {
    const actor = authOf(res);
    const clientId = String(req.params.id);
    assertClientAccess(actor, clientId);
    await requireActiveClient(actor.tenantId, clientId);
    const body = req.body as Omit<AiPolicy, 'customPatterns'> & { customPatterns?: AiPolicy['customPatterns'] };
    const policy: AiPolicy = {
      rules: body.rules,
      unapprovedService: body.unapprovedService,
      customPatterns: body.customPatterns ?? [],
    };
    if (body.regions) policy.regions = body.regions;
    const result = await handler.execute(
      { decider: clientAiDecider },
      clientAiStream(actor.tenantId, clientId),
      { type: 'SetAiPolicy', policy },
      commandContext(req, res),
      { ifMatch: ifMatchOf(req) },
    );
    sendCommandResult(res, 200, { clientId }, result);
  });

  return router;
}
