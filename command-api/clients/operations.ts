import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  CLIENT_SIZES,
  clientDecider,
  clientStream,
  type ClientCommand,
  type ClientEvent,
  type ClientState,
} from '../../domain/clients/client.js';
import { FRAMEWORK_IDS } from '../../domain/frameworks/catalog.js';
import { assertClientAccess, authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import type { Aggregate, CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';

const clients: Aggregate<ClientCommand, ClientEvent, ClientState> = { decider: clientDecider };

const profile = {
  name: z.string().min(1).max(200),
  industry: z.string().min(1).max(100),
  size: z.enum(CLIENT_SIZES),
  frameworks: z
    .array(z.enum(FRAMEWORK_IDS))
    .max(10)
    .refine((ids) => new Set(ids).size === ids.length, 'each framework once')
    .meta({ uniqueItems: true })
    .describe(
      'The frameworks the client is held to; they bring default AI usage rules (HIPAA blocks PHI, GDPR redacts personal data)',
    )
    .optional(),
};
const ClientPath = z.object({ id: Id });
const write = { permission: 'client:write' } as const;

/** The MSP's client companies: register, change, archive. */
export function clientCommands(handler: CommandHandler) {
  return [
    operation({
      operationId: 'createClient',
      method: 'post',
      path: '/clients',
      tags: ['clients'],
      summary: 'Register a client company of the MSP',
      access: write,
      headers: ['Idempotency-Key'],
      body: z.strictObject(profile),
      answers: { 201: { description: 'Registered', schema: commandAnswer(z.object({ clientId: Id })) } },
      async handler(req, res) {
        const context = commandContext(req, res);
        const clientId = randomUUID();
        const result = await handler.execute(
          clients,
          clientStream(context.tenantId, clientId),
          { type: 'RegisterClient', clientId, ...req.body },
          context,
          { expect: 'new' },
        );
        res.setHeader('Location', `/api/v1/clients/${clientId}`);
        sendCommandResult(res, 201, { clientId }, result);
      },
    }),
    operation({
      operationId: 'updateClient',
      method: 'put',
      path: '/clients/{id}',
      tags: ['clients'],
      summary: "Change a client's name, industry, size or the frameworks it is held to",
      access: write,
      headers: ['If-Match', 'Idempotency-Key'],
      params: ClientPath,
      body: z.strictObject(profile).partial(),
      answers: {
        200: { description: 'Updated', schema: commandAnswer(z.object({ clientId: Id })) },
        404: { description: 'No such client in your tenant', problem: true },
        410: { description: 'The client is archived', problem: true },
      },
      async handler(req, res) {
        const context = commandContext(req, res);
        const clientId = req.params.id;
        assertClientAccess(authOf(res), clientId);
        const result = await handler.execute(
          clients,
          clientStream(context.tenantId, clientId),
          { type: 'UpdateClient', ...req.body },
          context,
          { expect: 'existing', ifMatch: ifMatchOf(req) },
        );
        sendCommandResult(res, 200, { clientId }, result);
      },
    }),
    operation({
      operationId: 'archiveClient',
      method: 'delete',
      path: '/clients/{id}',
      tags: ['clients'],
      summary: 'Archive a client: its history stays, and it accepts no more changes',
      access: write,
      headers: ['If-Match', 'Idempotency-Key'],
      params: ClientPath,
      answers: {
        200: {
          description: 'Archived',
          schema: commandAnswer(z.object({ clientId: Id, status: z.literal('archived') })),
        },
        404: { description: 'No such client in your tenant', problem: true },
      },
      async handler(req, res) {
        const context = commandContext(req, res);
        const clientId = req.params.id;
        assertClientAccess(authOf(res), clientId);
        const result = await handler.execute(
          clients,
          clientStream(context.tenantId, clientId),
          { type: 'ArchiveClient', reason: null },
          context,
          { expect: 'existing', ifMatch: ifMatchOf(req) },
        );
        sendCommandResult(res, 200, { clientId, status: 'archived' }, result);
      },
    }),
  ];
}
