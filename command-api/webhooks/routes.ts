import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import {
  webhookDecider,
  webhookPersonalData,
  webhookSecretSubject,
  type WebhookEventKind,
} from '../../domain/webhooks/webhook.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { authOf, requirePermission } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import type { StoredAnswerRules } from '../../infrastructure/http/idempotency.js';
import type { OutboundGuard } from '../../infrastructure/outbound/guard.js';
import { newWebhookSecret } from '../../infrastructure/webhooks/signing.js';
import { webhookStream } from '../../infrastructure/notifications/directory.js';
import { commandContext } from '../http/context.js';
import type { CommandHandler } from '../http/command-handler.js';
import { sendCommandResult } from '../http/responses.js';
import { requireActiveClient } from '../http/scoped.js';

const webhooks = { decider: webhookDecider, personalData: webhookPersonalData };

/** A webhook's signing secret is shown once: the idempotency store never keeps it, and a replay says so. */
export const webhookAnswer: StoredAnswerRules = {
  withheld: ['secret'],
  reason:
    'The signing secret is shown only once and is never stored; a replayed answer cannot show it. If the first answer was lost, delete this webhook and register it again.',
};

/** Mounted at /webhooks: integrators' endpoints for violations. The signing secret is shown once, at creation. */
export function webhookRoutes(handler: CommandHandler, guard: OutboundGuard, vault: PersonalDataVault): Router {
  const router = express.Router();

  router.post('/', requirePermission('webhook:write'), async (req, res) => {
    const actor = authOf(res);
    const { url, events, clientId } = req.body as { url: string; events: WebhookEventKind[]; clientId?: string };
    const refused = guard.checkUrl(url);
    if (refused) {
      throw new HttpProblem(
        422,
        'invalid',
        'The webhook URL is refused',
        `The URL ${refused}. Private and loopback addresses need the operator's WEBHOOK_ALLOWED_HOSTS.`,
        {
          errors: [{ field: 'url', message: refused }],
        },
      );
    }
    if (clientId) await requireActiveClient(handler, actor, clientId);
    const webhookId = randomUUID();
    const secret = newWebhookSecret();
    const result = await handler.execute(
      webhooks,
      webhookStream(actor.tenantId, webhookId),
      { type: 'RegisterWebhook', webhookId, url, events, clientId: clientId ?? null, secret, createdBy: actor.userId },
      commandContext(req, res),
      { expect: 'new' },
    );
    res.setHeader('Location', `/api/v1/webhooks/${webhookId}`);
    res.setHeader('Cache-Control', 'no-store');
    sendCommandResult(res, 201, { webhookId, secret }, result);
  });

  router.delete('/:id', requirePermission('webhook:write'), async (req, res) => {
    const actor = authOf(res);
    const webhookId = String(req.params.id);
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
  });

  return router;
}
