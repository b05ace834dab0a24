import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, kafkaReadiness } from '../../infrastructure/kafka/kafka.js';
import { createLogger } from '../../infrastructure/logging/logger.js';
import { needs, services, uniqueName } from '../support/services.js';

const kafka = needs('kafka');

// kafkajs 2.2 predates Kafka 4.0; this proves the broker version we run supports what the ledger uses:
// admin calls, an idempotent producer, and a consumer group.
describe.skipIf(kafka.skip)(`Kafka broker${kafka.title}`, () => {
  const client = createKafka(
    services.kafkaBrokers ?? [],
    uniqueName('test'),
    createLogger({ level: 'silent', format: 'json' }),
  );
  const topic = uniqueName('ledger.test');
  const admin = client.admin();
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('creates a topic, produces idempotently and consumes through a consumer group', async () => {
    await admin.connect();
    expect(
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }),
    ).toBe(true);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);

    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'tenant-a', value: JSON.stringify({ n: 1 }) }] });
    await producer.disconnect();

    const groupId = uniqueName('group');
    const consumer = client.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; value: unknown }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 30 s')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()) });
        },
      });
    });
    expect(received).toEqual({ key: 'tenant-a', value: { n: 1 } });
    const group = await admin.describeGroups([groupId]);
    expect(group.groups[0]?.state).toBe('Stable');
    await consumer.disconnect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    // The group committed its progress: one partition at offset 1, the untouched ones at -1.
    expect(offsets[0]?.partitions.map((p) => p.offset).filter((offset) => offset !== '-1')).toEqual(['1']);
  });

  it('reports itself ready', async () => {
    const check = kafkaReadiness(client);
    await expect(check.check()).resolves.toEqual({ brokers: 1 });
    await check.close?.();
  });
});
