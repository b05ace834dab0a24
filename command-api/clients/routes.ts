import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import {
  clientDecider,
  type ClientCommand,
  type ClientEvent,
  type ClientProfile,
  type ClientState,
} from '../../domain/clients/client.js';
import { assertClientAccess, authOf, requirePermission } from '../../infrastructure/http/authentication.js';
import { clientAddressOf } from '../../infrastructure/http/client-address.js';
import type { Aggregate, CommandContext, CommandHandler } from '../http/command-handler.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';

const clients: Aggregate<ClientCommand, ClientEvent, ClientState> = { decider: clientDecider };

/** Mounted at /clients. Stream ids begin with the caller's tenant: an id from another tenant names a stream that does not exist (404). */
export const clientStream = (tenantId: string, clientId: string): string => `${tenantId}/client/${clientId}`;

export function commandContext(req: Request, res: Response): CommandContext {
  const auth = authOf(res);
  return { tenantId: auth.tenantId, actorId: auth.userId, correlationId: String(req.id), ip: clientAddressOf(req) };
}

export function clientRoutes(handler: CommandHandler): Router {
  const router = express.Router();

  router.post('/', requirePermission('client:write'), async (req, res) => {
    const context = commandContext(req, res);
    const clientId = randomUUID();
    const body = req.body as ClientProfile;
    const result = await handler.execute(
      clients,
      clientStream(context.tenantId, clientId),
      { type: 'RegisterClient', clientId, ...body },
      context,
      { expect: 'new' },
    );
    res.setHeader('Location', `/api/v1/clients/${clientId}`);
    sendCommandResult(res, 201, { clientId }, result);
  });

  router.put('/:id', requirePermission('client:write'), async (req, res) => {
    const context = commandContext(req, res);
    const clientId = String(req.params.id);
    assertClientAccess(authOf(res), clientId);
    const result = await handler.execute(
      clients,
      clientStream(context.tenantId, clientId),
      { type: 'UpdateClient', ...(req.body as Partial<ClientProfile>) },
      context,
      {
        expect: 'existing',
        ifMatch: ifMatchOf(req),
      },
    );
    sendCommandResult(res, 200, { clientId }, result);
  });

  router.delete('/:id', requirePermission('client:write'), async (req, res) => {
    const context = commandContext(req, res);
    const clientId = String(req.params.id);
    assertClientAccess(authOf(res), clientId);
    const result = await handler.execute(
      clients,
      clientStream(context.tenantId, clientId),
      { type: 'ArchiveClient', reason: null },
      context,
      {
        expect: 'existing',
        ifMatch: ifMatchOf(req),
      },
    );
    sendCommandResult(res, 200, { clientId, status: 'archived' }, result);
  });

  return router;
}
