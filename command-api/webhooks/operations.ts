import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  WEBHOOK_EVENTS,
  webhookDecider,
  webhookPersonalData,
  webhookSecretSubject,
  webhookStream,
} from '../../domain/webhooks/webhook.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import type { StoredAnswerRules } from '../../infrastructure/http/idempotency.js';
import type { OutboundGuard } from '../../infrastructure/outbound/guard.js';
import { newWebhookSecret } from '../../infrastructure/webhooks/signing.js';
import type { CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { requireOutboundUrl } from '../http/outbound-url.js';
import { sendCommandResult } from '../http/responses.js';
import { requireActiveClient } from '../http/scoped.js';

const webhooks = { decider: webhookDecider, personalData: webhookPersonalData };
const write = { permission: 'webhook:write' } as const;

/** A webhook's signing secret is shown once: the idempotency store never keeps it, and a replay says so. */
export const webhookAnswer: StoredAnswerRules = {
  withheld: ['secret'],
  reason:
    'The signing secret is shown only once and is never stored; a replayed answer cannot show it. If the first answer was lost, delete this webhook and register it again.',
};

/** Integrators' endpoints for violations. The signing secret is shown once, at creation. */
export function webhookCommands(handler: CommandHandler, guard: OutboundGuard, vault: PersonalDataVault) {
  return [
    operation({
      operationId: 'createWebhook',
      method: 'post',
      path: '/webhooks',
      tags: ['webhooks'],
      summary: 'Subscribe a URL to violations; the answer carries the signing secret, shown this once',
      description:
        'Deliveries are POSTs of the CloudEvent (application/cloudevents+json) signed in the Standard Webhooks style: webhook-id, webhook-timestamp and webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>"). A URL whose host is or resolves to a private or loopback address is refused unless the operator allowlisted it (WEBHOOK_ALLOWED_HOSTS).',
      access: write,
      headers: ['Idempotency-Key'],
      storedAnswer: webhookAnswer,
      body: z.strictObject({
        url: z.string().min(8).max(2000),
        events: z
          .array(z.enum(WEBHOOK_EVENTS))
          .min(1)
          .refine((kinds) => new Set(kinds).size === kinds.length, 'each kind once')
          .meta({ uniqueItems: true }),
        clientId: Id.describe("Only this client's violations; all of the MSP's when absent").optional(),
      }),
      answers: {
        201: {
          description: 'Subscribed',
          schema: commandAnswer(
            z.object({
              webhookId: Id,
              secret: z
                .string()
                .describe(
                  'whsec_…: keep it, it is not shown again. Absent from an Idempotency-Key replay (meta.withheld says so): it is never stored.',
                )
                .optional(),
            }),
          ),
        },
        404: { description: 'No such active client in your tenant', problem: true },
        422: { description: 'The URL is refused: a private or loopback address not allowlisted', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const { url, events, clientId } = req.body;
        requireOutboundUrl(guard, url, { field: 'url', what: 'webhook URL', allowlist: 'WEBHOOK_ALLOWED_HOSTS' });
        if (clientId) await requireActiveClient(handler, actor, clientId);
        const webhookId = randomUUID();
        const secret = newWebhookSecret();
        const result = await handler.execute(
          webhooks,
          webhookStream(actor.tenantId, webhookId),
          {
            type: 'RegisterWebhook',
            webhookId,
            url,
            events,
            clientId: clientId ?? null,
            secret,
            createdBy: actor.userId,
          },
          commandContext(req, res),
          { expect: 'new' },
        );
        res.setHeader('Location', `/api/v1/webhooks/${webhookId}`);
        res.setHeader('Cache-Control', 'no-store');
        sendCommandResult(res, 201, { webhookId, secret }, result);
      },
    }),
    operation({
      operationId: 'deleteWebhook',
      method: 'delete',
      path: '/webhooks/{id}',
      tags: ['webhooks'],
      summary: 'Unsubscribe: no more deliveries, and the signing secret is destroyed',
      access: write,
      headers: ['Idempotency-Key'],
      params: z.object({ id: Id }),
      answers: {
        200: {
          description: 'Deleted',
          schema: commandAnswer(z.object({ webhookId: Id, status: z.literal('deleted') })),
        },
        404: { description: 'No such webhook in your tenant', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const webhookId = req.params.id;
        const result = await handler.execute(
          webhooks,
          webhookStream(actor.tenantId, webhookId),
          { type: 'DeleteWebhook', deletedBy: actor.userId },
          commandContext(req, res),
          { expect: 'existing' },
        );
        // The secret is sealed under the webhook's own key: destroying the key destroys every copy of it.
        await vault.erase(actor.tenantId, webhookSecretSubject(webhookId));
        sendCommandResult(res, 200, { webhookId, status: 'deleted' }, result);
      },
    }),
  ];
}
