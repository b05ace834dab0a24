import { START, type Position } from '../../infrastructure/event-store/position.js';
import type { EventStore, RecordedEvent, Subscription } from '../../infrastructure/event-store/types.js';
import type { MessageBus } from '../../infrastructure/bus/message-bus.js';
import type { CheckpointStore } from '../../infrastructure/checkpoints/checkpoints.js';
import type { ReadinessCheck } from '../../infrastructure/http/readiness.js';
import type { Logger } from '../../infrastructure/logging/logger.js';
import { lagAfter } from '../runner.js';
import { VIOLATION_EVENT_TYPES, violationsTopicEvent } from './cloud-event.js';

export interface PublisherOptions {
  eventStore: EventStore;
  checkpoints: CheckpointStore;
  bus: MessageBus;
  topic: string;
  /** Where links in messages point: the API's public URL. */
  baseUrl: string;
  logger: Logger;
  /** Messages per send; the checkpoint moves once per acknowledged batch. */
  batchSize?: number;
}

export const PUBLISHER_CHECKPOINT = 'violations-publisher';
const MAX_BACKOFF_MS = 5_000;

/**
 * Follows the log for violation events (recorded, and each step of their workflow) and publishes each as a
 * CloudEvent keyed by tenant. The checkpoint moves only
 * after the bus acknowledged, so a crash or an outage repeats messages (consumers deduplicate by id) and never loses
 * one; while the broker is away it retries with exponential backoff. It is not a projection: rebuilding read models
 * never touches its checkpoint, so a rebuild publishes nothing.
 */
export class ViolationPublisher {
  private subscription?: Subscription;
  private running?: Promise<void>;
  private stopped = false;
  private wake?: () => void;
  private checkpoint: Position = START;
  private lastError: string | null = null;

  constructor(private readonly options: PublisherOptions) {}

  async start(): Promise<void> {
    await this.options.bus.ensureTopics([this.options.topic]);
    this.checkpoint = (await this.options.checkpoints.get(PUBLISHER_CHECKPOINT)) ?? START;
    this.running = this.run().catch((error: unknown) =>
      this.options.logger.error({ err: error }, 'violation publisher stopped on an error'),
    );
  }

  private async run(): Promise<void> {
    const { eventStore, logger } = this.options;
    const batchSize = this.options.batchSize ?? 100;
    while (!this.stopped) {
      this.subscription = eventStore.subscribe({ from: this.checkpoint, types: VIOLATION_EVENT_TYPES, batchSize });
      let batch: RecordedEvent[] = [];
      try {
        for await (const message of this.subscription) {
          if (message.kind === 'event') batch.push(message.event);
          if (batch.length >= batchSize || (message.kind === 'caught-up' && batch.length > 0)) {
            await this.publish(batch);
            batch = [];
          }
        }
      } catch (error) {
        if (this.stopped) return;
        logger.warn({ err: error }, 'violation publisher: reading the log failed; resuming from the checkpoint');
        await this.sleep(1000);
      }
    }
  }

  /** Sends until acknowledged (or stopped), then saves the checkpoint. */
  private async publish(batch: RecordedEvent[]): Promise<void> {
    const { bus, topic, baseUrl, checkpoints, logger } = this.options;
    const messages = batch.map((event) => ({
      key: event.metadata.tenantId,
      value: JSON.stringify(violationsTopicEvent(event, baseUrl)),
      headers: { 'content-type': 'application/cloudevents+json', 'ce-id': event.id },
    }));
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await bus.publish(topic, messages);
        break;
      } catch (error) {
        this.lastError = (error as Error).message;
        const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() / 2);
        logger.warn(
          { err: error, attempt, retryInMs: Math.round(delay), pending: batch.length },
          'violation publisher: the bus did not acknowledge; retrying',
        );
        await this.sleep(delay);
      }
    }
    if (this.stopped) return;
    this.lastError = null;
    this.checkpoint = batch[batch.length - 1]!.position;
    await checkpoints.save(PUBLISHER_CHECKPOINT, this.checkpoint);
    logger.debug({ count: batch.length, checkpoint: this.checkpoint }, 'violations published');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** For GET /ready: up while it runs; reports the backlog (violations after its checkpoint) and its age. */
  readiness(): ReadinessCheck {
    return {
      name: 'violationsPublisher',
      check: async () => {
        const lag = await lagAfter(this.options.eventStore, VIOLATION_EVENT_TYPES, this.checkpoint);
        return {
          bus: this.options.bus.kind,
          topic: this.options.topic,
          backlog: lag.events,
          lagSeconds: Math.round(lag.seconds),
          ...(this.lastError ? { lastError: this.lastError } : {}),
        };
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.subscription?.close();
    await this.running;
  }
}
