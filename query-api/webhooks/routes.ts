import express, { type Router } from 'express';
import { sql } from 'kysely';
import type { Database } from '../../infrastructure/database/database.js';
import { authOf, requirePermission } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import type { NotificationDirectory } from '../../projections/notifications/directory.js';

/** Mounted at /webhooks: the tenant's webhooks and each one's delivery attempts. Secrets are never shown again. */
export function webhookQueries(database: Database, directory: NotificationDirectory): Router {
  const router = express.Router();

  router.get('/', requirePermission('webhook:read'), async (_req, res) => {
    const data = await directory.webhooks(authOf(res).tenantId);
    res.json({ data, meta: { total: data.length, page: 1, size: data.length, pages: 1 } });
  });

  router.get('/:id/deliveries', requirePermission('webhook:read'), async (req, res) => {
    const tenantId = authOf(res).tenantId;
    const webhookId = String(req.params.id);
    const webhook = await directory.webhook(tenantId, webhookId);
    if (webhook.status === 'none') throw new HttpProblem(404, 'not-found', 'Not found', 'No such webhook.');
    const page = Math.max(1, Number(req.query.page ?? 1));
    const size = Math.min(100, Math.max(1, Number(req.query.size ?? 20)));
    const { rows } = await sql<{
      event_id: string;
      status: string;
      attempts: number;
      last_error: string | null;
      created_at: Date;
      delivered_at: Date | null;
      history: unknown;
      total: string;
    }>`
      select o.event_id, o.status, o.attempts, o.last_error, o.created_at, o.delivered_at, count(*) over () as total,
        coalesce((select json_agg(json_build_object('attempt', a.attempt, 'at', a.attempted_at, 'outcome', a.outcome, 'statusCode', a.status_code, 'error', a.error, 'durationMs', a.duration_ms) order by a.attempt)
                  from notification_attempts a where a.outbox_id = o.id), '[]') as history
      from notification_outbox o
      where o.tenant_id = ${tenantId} and o.channel = 'webhook' and o.target = ${webhookId}
      order by o.created_at desc, o.id desc
      limit ${size} offset ${(page - 1) * size}`.execute(database.db);
    const total = Number(rows[0]?.total ?? 0);
    res.json({
      data: rows.map((r) => ({
        eventId: r.event_id,
        status: r.status,
        attempts: r.history,
        lastError: r.last_error,
        createdAt: new Date(r.created_at).toISOString(),
        deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
      })),
      meta: { total, page, size, pages: Math.ceil(total / size) },
    });
  });

  return router;
}
