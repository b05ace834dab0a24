import { CompressionTypes, type Consumer, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from '../logging/logger.js';
import type { BusMessage, BusSubscription, ConsumedMessage, MessageBus } from './message-bus.js';

export interface KafkaBusOptions {
  partitions: number;
  replicationFactor: number;
}

/**
 * While the broker is away, clients retry forever, but never more than this apart: once it is back, the producer and
 * the consumer groups find it within seconds (kafkajs's default ceiling, 30 s, made recovery after an outage slow).
 */
const RETRY = { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5_000 };

/**
 * Kafka through kafkajs: an idempotent producer waiting for every in-sync replica (acks=-1), and consumer groups that
 * commit a message's offset only once its handler has resolved.
 */
export class KafkaBus implements MessageBus {
  readonly kind = 'kafka';
  private producer?: Promise<Producer>;
  private readonly consumers = new Set<Consumer>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaBusOptions,
    private readonly logger: Logger,
  ) {}

  async ensureTopics(topics: readonly string[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: this.options.partitions,
          replicationFactor: this.options.replicationFactor,
        })),
      });
      this.logger.info(
        { topics: missing, partitions: this.options.partitions, replicationFactor: this.options.replicationFactor },
        'Kafka topics created',
      );
    } finally {
      await admin.disconnect();
    }
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: RETRY,
      });
      await producer.connect();
      return producer;
    })().catch((error: unknown) => {
      this.producer = undefined;
      throw error;
    });
    return this.producer;
  }

  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.connectedProducer();
    await producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.None,
      messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
    });
  }

  async subscribe(
    group: string,
    topics: readonly string[],
    handle: (message: ConsumedMessage) => Promise<void>,
  ): Promise<BusSubscription> {
    // A short session: after a broker restart the group coordinator waits out the session of the member it remembers
    // before the group can settle (30 s with kafkajs's default). Handlers only write to the outbox, so they are quick.
    const consumer = this.kafka.consumer({
      groupId: group,
      retry: RETRY,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.consumers.add(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ topic, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        await handle({ topic, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', headers });
      },
    });
    return {
      close: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.disconnect().catch(() => {})));
    this.consumers.clear();
    const producer = await this.producer?.catch(() => undefined);
    await producer?.disconnect().catch(() => {});
    this.producer = undefined;
  }
}
