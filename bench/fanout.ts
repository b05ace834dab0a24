/**
 * Violation fan-out: violations per second from the event log to Kafka acknowledgement (the publisher, with its
 * checkpoints), and the latency from a command's response to the message being consumed, at p50 and p99 under a
 * steady command load. The baseline, in the same run on the same broker: a raw kafkajs producer sending the same
 * messages, and its send-to-consume latency.
 *
 *   npm run bench -- fanout      (KAFKA_BROKERS=… to use a running broker, else one is started from the Maven jars;
 *                                 DATABASE_URL picks PostgreSQL; BENCH_SECONDS=10 to measure longer)
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus } from '../infrastructure/bus/kafka-bus.js';
import { CheckpointStore } from '../infrastructure/checkpoints/checkpoints.js';
import { openDatabase } from '../infrastructure/database/database.js';
import { migrateToLatest } from '../infrastructure/database/migrate.js';
import { PostgresEventStore } from '../infrastructure/event-store/postgres/postgres-event-store.js';
import { createKafka } from '../infrastructure/kafka/kafka.js';
import { createLogger } from '../infrastructure/logging/logger.js';
import { violationCloudEvent } from '../projections/violations/cloud-event.js';
import { PUBLISHER_CHECKPOINT, ViolationPublisher } from '../projections/violations/publisher.js';
import { startKafkaBroker } from '../scripts/kafka-broker.js';
import { benchLedger, databaseUrl, seconds } from './http-load.js';

const VIOLATIONS = Number(process.env.BENCH_VIOLATIONS ?? 5000);
const logger = createLogger({ level: 'silent', format: 'json' });
const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;

async function throughput(brokers: string[]): Promise<void> {
  const schema = `bench_fanout_${Date.now().toString(36)}`;
  const database = await openDatabase({ kind: 'postgres', url: databaseUrl, schema, poolSize: 10 });
  try {
    await migrateToLatest(database);
    const store = new PostgresEventStore(database);
    const tenantId = randomUUID();
    const clientId = randomUUID();
    for (let i = 0; i < VIOLATIONS; i += 100) {
      await store.append(
        `${tenantId}/prompt-analysis/${randomUUID()}`,
        Array.from({ length: Math.min(100, VIOLATIONS - i) }, () => ({
          type: 'ViolationRecorded',
          data: {
            analysisId: randomUUID(),
            clientId,
            aiServiceId: randomUUID(),
            kind: 'sensitive-data',
            action: 'block',
            severity: 'high',
            entityCounts: { US_SSN: 1 },
            reasons: ['US_SSN → block (HIPAA default)'],
          },
          metadata: { tenantId, actorId: 'bench', correlationId: 'bench' },
        })),
      );
    }
    const events = [];
    for await (const event of store.readAll({ types: ['ViolationRecorded'] })) events.push(event);
    const messages = events.map((e) => ({
      key: tenantId,
      value: JSON.stringify(violationCloudEvent(e, 'http://localhost:3000')),
    }));

    const kafka = new Kafka({ clientId: 'bench-baseline', brokers, logLevel: logLevel.NOTHING });
    const baselineTopic = `bench.baseline.${Date.now()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: baselineTopic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let started = performance.now();
    for (let i = 0; i < messages.length; i += 100)
      await producer.send({ topic: baselineTopic, acks: -1, messages: messages.slice(i, i + 100) });
    const baseline = messages.length / ((performance.now() - started) / 1000);
    await producer.disconnect();

    const bus = new KafkaBus(
      createKafka(brokers, 'bench-publisher', logger),
      { partitions: 3, replicationFactor: 1 },
      logger,
    );
    const checkpoints = new CheckpointStore(database);
    const publisher = new ViolationPublisher({
      eventStore: store,
      checkpoints,
      bus,
      topic: `bench.violations.${Date.now()}`,
      baseUrl: 'http://localhost:3000',
      logger,
      batchSize: 100,
    });
    started = performance.now();
    await publisher.start();
    const last = events[events.length - 1]!.position;
    while ((await checkpoints.get(PUBLISHER_CHECKPOINT)) !== last)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const published = messages.length / ((performance.now() - started) / 1000);
    await publisher.stop();
    await bus.close();
    console.log(`${VIOLATIONS} violations, batches of 100, acks=all, idempotent producer`);
    console.log(`baseline: raw kafkajs producer       ${baseline.toFixed(0).padStart(7)} messages/s`);
    console.log(
      `publisher: log → Kafka → checkpoint  ${published.toFixed(0).padStart(7)} violations/s   ratio ${(published / baseline).toFixed(2)}`,
    );
  } finally {
    const admin = await openDatabase({ kind: 'postgres', url: databaseUrl, poolSize: 1 });
    await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await admin.close();
    await database.close();
  }
}

async function latency(brokers: string[]): Promise<void> {
  const topic = `bench.latency.${Date.now()}`;
  const kafka = new Kafka({ clientId: 'bench-latency', brokers, logLevel: logLevel.NOTHING });
  const consumed = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `bench-${Date.now()}` });
  await consumer.connect();
  const baselineTopic = `${topic}.baseline`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 3 },
      { topic: baselineTopic, numPartitions: 3 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  await consumer.subscribe({ topics: [topic, baselineTopic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const body = JSON.parse(message.value!.toString()) as { data?: { analysisId?: string }; id?: string };
      consumed.set(body.data?.analysisId ?? body.id ?? '', performance.now());
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 3000)); // group join

  const rate = 20; // commands per second
  const ledger = await benchLedger('postgres', { KAFKA_BROKERS: brokers.join(','), VIOLATIONS_TOPIC: topic });
  try {
    const { clientId } = (
      (await (
        await ledger.post('/clients', { name: 'Clinic', industry: 'health', size: '11-50', frameworks: ['hipaa'] })
      ).json()) as { data: { clientId: string } }
    ).data;
    const { aiServiceId } = (
      (await (
        await ledger.post('/ai-services', {
          name: 'Chat',
          vendor: 'V',
          models: ['m'],
          baaSigned: true,
          dpaSigned: true,
          dataRetentionDays: 0,
        })
      ).json()) as { data: { aiServiceId: string } }
    ).data;
    await ledger.post(`/clients/${clientId}/ai-services/${aiServiceId}/approve`, { reason: 'bench' });
    const answered = new Map<string, number>();
    const sends: Array<Promise<void>> = [];
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      sends.push(
        (async () => {
          const response = await ledger.post('/analyze/prompt', {
            clientId,
            aiServiceId,
            prompt: 'Patient SSN 219-45-6781, please summarise.',
          });
          const body = (await response.json()) as { data: { analysisId: string } };
          answered.set(body.data.analysisId, performance.now());
        })(),
      );
      await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
    }
    await Promise.all(sends);
    const deadline = performance.now() + 30_000;
    while ([...answered.keys()].some((id) => !consumed.has(id)) && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const lags = [...answered].filter(([id]) => consumed.has(id)).map(([id, at]) => consumed.get(id)! - at);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = new Map<string, number>();
    const baselineUntil = performance.now() + seconds * 1000;
    while (performance.now() < baselineUntil) {
      const id = randomUUID();
      sent.set(id, performance.now());
      await producer.send({ topic: baselineTopic, acks: -1, messages: [{ key: 't', value: JSON.stringify({ id }) }] });
      await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
    }
    while ([...sent.keys()].some((id) => !consumed.has(id)) && performance.now() < deadline + 30_000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await producer.disconnect();
    const baseLags = [...sent].filter(([id]) => consumed.has(id)).map(([id, at]) => consumed.get(id)! - at);
    console.log(
      `\n${rate} commands/s for ${seconds} s: latency from the command's response to the message being consumed`,
    );
    console.log(
      `baseline: raw producer send → consumed   p50 ${quantile(baseLags, 0.5).toFixed(1).padStart(6)} ms  p99 ${quantile(baseLags, 0.99).toFixed(1).padStart(6)} ms  (${baseLags.length} messages)`,
    );
    console.log(
      `ledger: POST /analyze/prompt → consumed  p50 ${quantile(lags, 0.5).toFixed(1).padStart(6)} ms  p99 ${quantile(lags, 0.99).toFixed(1).padStart(6)} ms  (${lags.length} of ${answered.size})`,
    );
  } finally {
    await consumer.disconnect();
    await ledger.close();
  }
}

export async function run(): Promise<void> {
  const broker = process.env.KAFKA_BROKERS ? null : await startKafkaBroker({ log: (line) => console.log(line) });
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? broker!.brokers;
  try {
    await throughput(brokers);
    await latency(brokers);
  } finally {
    await broker?.destroy();
  }
}
