import { sql } from 'kysely';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { Database } from '../../infrastructure/database/database.js';
import type { Logger } from '../../infrastructure/logging/logger.js';
import type { Mailer } from '../../infrastructure/mail/mailer.js';
import { OutboundRefusedError, type OutboundGuard } from '../../infrastructure/outbound/guard.js';
import { vettedFetch } from '../../infrastructure/outbound/vetted-fetch.js';
import { signatureHeaders } from '../../infrastructure/webhooks/signing.js';
import type { AnyViolationCloudEvent, ViolationCloudEvent } from '../violations/cloud-event.js';
import type { NotificationDirectory } from './directory.js';
import { violationMail } from './violation-mail.js';

export interface DispatcherOptions {
  database: Database;
  directory: NotificationDirectory;
  mailer: Mailer;
  guard: OutboundGuard;
  bus: MessageBus;
  /** Deliveries that never succeed go to `${topic}.dlq`. */
  topic: string;
  logger: Logger;
  pollMs: number;
  webhookTimeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  /** After this long since the violation, a failing delivery stops being retried. */
  retryForMs: number;
}

interface OutboxRow {
  id: string;
  tenant_id: string;
  event_id: string;
  channel: 'email' | 'webhook';
  target: string;
  /** Mails are only ever of recorded violations (ViolationCloudEvent); webhooks get any message of the topic. */
  payload: AnyViolationCloudEvent;
  attempts: number;
  created_at: Date;
}

type Outcome =
  { delivered: true; statusCode?: number } | { delivered: false; statusCode?: number; error: string; final?: boolean };

/** How long a claimed row stays invisible to other dispatchers: longer than any one delivery can take. */
const LEASE_SECONDS = 120;
const BATCH = 20;

/**
 * Sends what the outbox holds: mails to compliance officers and signed webhook POSTs. Each attempt is recorded; a
 * failure is retried with exponential backoff and full jitter until maxAttempts or retryForMs, then the delivery is
 * dead and goes to the dead-letter topic. Rows are claimed with a lease (FOR UPDATE SKIP LOCKED), so several
 * dispatchers can share the work and a crashed one's rows come back.
 */
export class NotificationDispatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.drain()
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'notification dispatcher: a round failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs);
        });
    };
    tick();
  }

  /** Sends everything due now; resolves when nothing due is left. */
  async drain(): Promise<void> {
    while (!this.stopped) {
      const rows = await this.claim();
      if (rows.length === 0) return;
      const emails = new Map<string, OutboxRow[]>();
      const deliveries: Array<Promise<void>> = [];
      for (const row of rows) {
        if (row.channel === 'webhook') deliveries.push(this.attempt([row], () => this.deliverWebhook(row)));
        else
          emails.set(`${row.tenant_id}:${row.target}`, [...(emails.get(`${row.tenant_id}:${row.target}`) ?? []), row]);
      }
      // An officer's due violations go out in one mail: one at a time when immediate, the hour's when hourly.
      for (const group of emails.values()) deliveries.push(this.attempt(group, () => this.sendMail(group)));
      await Promise.all(deliveries);
    }
  }

  private async claim(): Promise<OutboxRow[]> {
    const { rows } = await sql<OutboxRow>`
      update notification_outbox set next_attempt_at = now() + make_interval(secs => ${LEASE_SECONDS})
      where id in (
        select id from notification_outbox
        where status = 'pending' and next_attempt_at <= now()
        order by next_attempt_at limit ${BATCH}
        for update skip locked)
      returning id, tenant_id, event_id, channel, target, payload, attempts, created_at`.execute(
      this.options.database.db,
    );
    return rows;
  }

  private async attempt(rows: OutboxRow[], send: () => Promise<Outcome>): Promise<void> {
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await send();
    } catch (error) {
      outcome = { delivered: false, error: (error as Error).message };
    }
    const duration = Math.round(performance.now() - started);
    for (const row of rows) await this.record(row, outcome, duration);
  }

  private async record(row: OutboxRow, outcome: Outcome, durationMs: number): Promise<void> {
    const { database, maxAttempts, retryBaseMs, retryForMs, logger } = this.options;
    const attempt = row.attempts + 1;
    const expired = Date.now() - new Date(row.created_at).getTime() >= retryForMs;
    const dead = !outcome.delivered && (outcome.final === true || attempt >= maxAttempts || expired);
    const result = outcome.delivered ? 'delivered' : dead ? 'dead' : 'failed';
    const error = outcome.delivered ? null : outcome.error;
    if (dead) {
      try {
        await this.deadLetter(row, attempt, error!);
      } catch (dlqError) {
        // Without the dead-letter topic the row stays pending and is tried again later: nothing is dropped silently.
        logger.warn(
          { err: dlqError, outboxId: row.id },
          'notification dispatcher: the dead-letter topic is unreachable; keeping the delivery',
        );
        await sql`update notification_outbox set next_attempt_at = now() + make_interval(secs => 60) where id = ${row.id}`.execute(
          database.db,
        );
        return;
      }
    }
    // Exponential backoff with full jitter: base × 2^(attempt-1), a random share of it.
    const delayMs = Math.round(retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
    await database.db.transaction().execute(async (trx) => {
      await sql`
        insert into notification_attempts (outbox_id, attempt, outcome, status_code, error, duration_ms)
        values (${row.id}, ${attempt}, ${result}, ${outcome.statusCode ?? null}, ${error}, ${durationMs})`.execute(trx);
      await sql`
        update notification_outbox set
          attempts = ${attempt},
          status = ${outcome.delivered ? 'delivered' : dead ? 'dead' : 'pending'},
          last_error = ${error},
          delivered_at = ${outcome.delivered ? sql`now()` : null},
          next_attempt_at = now() + make_interval(secs => ${delayMs / 1000})
        where id = ${row.id}`.execute(trx);
    });
    if (!outcome.delivered)
      logger.warn(
        { outboxId: row.id, channel: row.channel, attempt, dead, error },
        dead ? 'notification dead-lettered' : 'notification failed; will retry',
      );
  }

  private async deadLetter(row: OutboxRow, attempts: number, error: string): Promise<void> {
    const message = {
      channel: row.channel,
      target: row.target,
      attempts,
      lastError: error,
      eventId: row.event_id,
      deadAt: new Date().toISOString(),
      event: row.payload,
    };
    await this.options.bus.publish(`${this.options.topic}.dlq`, [
      { key: row.tenant_id, value: JSON.stringify(message), headers: { 'ce-id': row.event_id } },
    ]);
  }

  private async deliverWebhook(row: OutboxRow): Promise<Outcome> {
    const { directory, guard, webhookTimeoutMs } = this.options;
    const webhook = await directory.webhook(row.tenant_id, row.target);
    if (webhook.status !== 'active' || !webhook.url || !webhook.secret)
      return { delivered: false, error: 'the webhook was deleted', final: true };
    const body = JSON.stringify(row.payload);
    let response: Response;
    try {
      response = await vettedFetch(guard, webhook.url, {
        method: 'POST',
        body,
        timeoutMs: webhookTimeoutMs,
        headers: {
          'content-type': 'application/cloudevents+json',
          'user-agent': 'compliance-ledger-webhooks/1',
          ...signatureHeaders(webhook.secret, row.event_id, body),
        },
      });
    } catch (error) {
      if (error instanceof OutboundRefusedError)
        return { delivered: false, error: `refused: the URL ${error.reason}`, final: true };
      throw error;
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { delivered: true, statusCode: response.status };
    const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : '';
    return { delivered: false, statusCode: response.status, error: `HTTP ${response.status}${redirect}` };
  }

  private async sendMail(rows: OutboxRow[]): Promise<Outcome> {
    const { directory, mailer } = this.options;
    const [first] = rows;
    const officers = await directory.officers(first!.tenant_id, first!.payload.data.clientId);
    const officer = officers.find((o) => o.userId === first!.target);
    if (!officer) return { delivered: false, error: 'no longer a compliance officer of this client', final: true };
    const clientName = await directory.clientName(first!.tenant_id, first!.payload.data.clientId);
    await mailer.send(
      violationMail(
        officer.email,
        clientName,
        rows.map((row) => row.payload as ViolationCloudEvent),
      ),
    );
    return { delivered: true };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
