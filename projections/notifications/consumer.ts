import { sql } from 'kysely';
import { wants } from '../../domain/webhooks/webhook.js';
import type { BusSubscription, ConsumedMessage, MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { Database } from '../../infrastructure/database/database.js';
import type { Logger } from '../../infrastructure/logging/logger.js';
import {
  isWorkflowCloudEvent,
  VIOLATION_CLOUD_EVENT_TYPE,
  VIOLATION_WORKFLOW_CLOUD_EVENT_TYPES,
  type AnyViolationCloudEvent,
} from '../violations/cloud-event.js';

const TOPIC_TYPES = new Set<string>([VIOLATION_CLOUD_EVENT_TYPE, ...VIOLATION_WORKFLOW_CLOUD_EVENT_TYPES]);
import type { NotificationDirectory } from './directory.js';

export const NOTIFICATIONS_GROUP = 'compliance-ledger.notifications';
const SEVERITY_RANK = { low: 0, medium: 1, high: 2, critical: 3 } as const;
export type Severity = keyof typeof SEVERITY_RANK;

export interface ConsumerOptions {
  bus: MessageBus;
  topic: string;
  database: Database;
  directory: NotificationDirectory;
  /** Mail goes to compliance officers for violations at or above this severity. */
  minSeverity: Severity;
  /** immediate: one mail per violation; hourly: one digest per officer each hour. */
  emailMode: 'immediate' | 'hourly';
  logger: Logger;
}

/**
 * Reads violations from the bus in a consumer group and turns each into outbox rows: a mail per compliance officer
 * and a delivery per subscribed webhook. The rows are unique per (event id, channel, recipient), so a message
 * delivered twice (a publisher that crashed before its checkpoint, a rebalance) adds nothing: nobody is told twice.
 * The dispatcher sends what the outbox holds.
 */
export class NotificationConsumer {
  private subscription?: BusSubscription;

  constructor(private readonly options: ConsumerOptions) {}

  async start(): Promise<void> {
    this.subscription = await this.options.bus.subscribe(NOTIFICATIONS_GROUP, [this.options.topic], (message) =>
      this.handle(message),
    );
  }

  async handle(message: ConsumedMessage): Promise<void> {
    const { database, directory, logger } = this.options;
    let event: AnyViolationCloudEvent;
    try {
      event = JSON.parse(message.value) as AnyViolationCloudEvent;
      if (!TOPIC_TYPES.has(event.type) || typeof event.id !== 'string' || !event.data?.tenantId)
        throw new Error(`not a violation event: ${String(event.type)}`);
    } catch (error) {
      // A message no consumer can read must not stall the partition: it is logged and skipped.
      logger.error({ err: error, topic: message.topic, key: message.key }, 'notifications: unreadable message skipped');
      return;
    }
    const { tenantId, clientId, kind, severity } = event.data;
    // Officers are mailed about new violations; the workflow's changes go to webhooks that ask for them.
    const change = isWorkflowCloudEvent(event) ? event.data.change : null;
    const workflow = change !== null;
    const rows: Array<{ channel: 'email' | 'webhook'; target: string }> = [];
    if (!workflow && SEVERITY_RANK[severity] >= SEVERITY_RANK[this.options.minSeverity]) {
      for (const officer of await directory.officers(tenantId, clientId))
        rows.push({ channel: 'email', target: officer.userId });
    }
    for (const webhook of await directory.webhooks(tenantId)) {
      if (wants(webhook, change ?? kind, clientId)) rows.push({ channel: 'webhook', target: webhook.webhookId });
    }
    if (rows.length === 0) return;
    const payload = JSON.stringify(event);
    const digest = this.options.emailMode === 'hourly';
    await database.db.transaction().execute(async (trx) => {
      for (const row of rows) {
        const due = row.channel === 'email' && digest ? sql`date_trunc('hour', now()) + interval '1 hour'` : sql`now()`;
        await sql`
          insert into notification_outbox (tenant_id, event_id, channel, target, payload, next_attempt_at)
          values (${tenantId}, ${event.id}, ${row.channel}, ${row.target}, ${payload}::jsonb, ${due})
          on conflict (event_id, channel, target) do nothing`.execute(trx);
      }
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }
}
