import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../infrastructure/database/database.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import type { NotificationDirectory } from '../../projections/notifications/directory.js';
import { listMeta, notFound, pageOf, pageOfItems } from '../http/reads.js';

const read = { permission: 'webhook:read' } as const;

const Webhook = z.object({
  webhookId: Id,
  url: z.string(),
  events: z.array(z.string()),
  clientId: z.string().nullable(),
});

const Delivery = z.object({
  eventId: Id,
  status: z.enum(['pending', 'delivered', 'dead']),
  attempts: z.array(
    z.object({
      attempt: z.int(),
      at: z.string(),
      outcome: z.enum(['delivered', 'failed', 'dead']),
      statusCode: z.int().nullable().optional(),
      error: z.string().nullable().optional(),
      durationMs: z.int().optional(),
    }),
  ),
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  deliveredAt: z.string().nullable(),
});

interface DeliveryRow {
  event_id: string;
  status: z.output<typeof Delivery>['status'];
  attempts: number;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  history: z.output<typeof Delivery>['attempts'];
  total: string;
}

/** GET /webhooks and their deliveries: the tenant's webhooks and each one's attempts. Secrets are never shown again. */
export function webhookReads(deps: { database: Database; directory: NotificationDirectory }) {
  return [
    operation({
      operationId: 'listWebhooks',
      method: 'get',
      path: '/webhooks',
      tags: ['webhooks'],
      summary: "The tenant's webhooks (without their secrets)",
      access: read,
      query: Paging,
      answers: { 200: { description: 'Webhooks', schema: page(Webhook) } },
      async handler(req, res) {
        res.json(pageOfItems(await deps.directory.webhooks(authOf(res).tenantId), req.query));
      },
    }),
    operation({
      operationId: 'listWebhookDeliveries',
      method: 'get',
      path: '/webhooks/{id}/deliveries',
      tags: ['webhooks'],
      summary: 'Deliveries to one webhook, newest first, with every attempt',
      access: read,
      params: z.object({ id: Id }),
      query: Paging,
      answers: {
        200: { description: 'Deliveries', schema: page(Delivery) },
        404: { description: 'No such webhook', problem: true },
      },
      async handler(req, res) {
        const tenantId = authOf(res).tenantId;
        const webhookId = req.params.id;
        const webhook = await deps.directory.webhook(tenantId, webhookId);
        if (webhook.status === 'none') throw notFound('webhook');
        const paging = pageOf(req.query);
        // The outbox is the notifiers' own table, not a read model: its rows name their tenant.
        const { rows } = await sql<DeliveryRow>`
          select o.event_id, o.status, o.attempts, o.last_error, o.created_at, o.delivered_at, count(*) over () as total,
            coalesce((select json_agg(json_build_object('attempt', a.attempt, 'at', a.attempted_at, 'outcome', a.outcome, 'statusCode', a.status_code, 'error', a.error, 'durationMs', a.duration_ms) order by a.attempt)
                      from notification_attempts a where a.outbox_id = o.id), '[]') as history
          from notification_outbox o
          where o.tenant_id = ${tenantId} and o.channel = 'webhook' and o.target = ${webhookId}
          order by o.created_at desc, o.id desc
          limit ${paging.size} offset ${paging.offset}`.execute(deps.database.db);
        res.json({
          data: rows.map((r) => ({
            eventId: r.event_id,
            status: r.status,
            attempts: r.history,
            lastError: r.last_error,
            createdAt: new Date(r.created_at).toISOString(),
            deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
          })),
          meta: listMeta(paging, Number(rows[0]?.total ?? 0)),
        });
      },
    }),
  ];
}
