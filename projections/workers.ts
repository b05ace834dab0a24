import { CheckpointStore } from '../infrastructure/checkpoints/checkpoints.js';
import type { Logger } from '../infrastructure/logging/logger.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { NotificationConsumer } from './notifications/consumer.js';
import { NotificationDirectory } from './notifications/directory.js';
import { NotificationDispatcher } from './notifications/dispatcher.js';
import { ViolationPublisher } from './violations/publisher.js';
import { PROJECTIONS } from './catalog.js';
import { EvidenceExpiryWatch } from './evidence-expiry/watch.js';
import { ProjectionRunner } from './runner.js';

export interface Workers {
  publisher: ViolationPublisher;
  projections: ProjectionRunner[];
  evidenceWatch: EvidenceExpiryWatch;
  dispatcher: NotificationDispatcher;
  stop(): Promise<void>;
}

/**
 * The workers that follow the event log, started by LEDGER_ROLE=all (the embedded default) and =projections: the
 * violation publisher, the notification consumer and the dispatcher that sends mail and webhooks. On the embedded
 * default they meet on the in-process bus; otherwise on Kafka.
 */
export async function startWorkers(resources: Resources, logger: Logger, baseUrl: string): Promise<Workers> {
  const { config, database, eventStore, bus } = resources;
  const topic = config.VIOLATIONS_TOPIC;
  const directory = new NotificationDirectory(eventStore, resources.vault);
  const consumer = new NotificationConsumer({
    bus,
    topic,
    database,
    directory,
    minSeverity: config.NOTIFY_MIN_SEVERITY,
    emailMode: config.NOTIFY_EMAIL_MODE,
    logger: logger.child({ worker: 'notifications' }),
  });
  const dispatcher = new NotificationDispatcher({
    database,
    directory,
    mailer: resources.mailer,
    guard: resources.webhookGuard,
    bus,
    topic,
    logger: logger.child({ worker: 'dispatcher' }),
    pollMs: config.NOTIFY_POLL_MS,
    webhookTimeoutMs: config.WEBHOOK_TIMEOUT_MS,
    maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
    retryForMs: config.WEBHOOK_RETRY_FOR_MS,
  });
  const publisher = new ViolationPublisher({
    eventStore,
    checkpoints: new CheckpointStore(database),
    bus,
    topic,
    baseUrl,
    logger: logger.child({ worker: 'violations-publisher' }),
  });
  const projections = PROJECTIONS.map(
    (projection) => new ProjectionRunner({ eventStore, database, projection, logger }),
  );
  const evidenceWatch = new EvidenceExpiryWatch({
    database,
    eventStore,
    logger: logger.child({ worker: 'evidence-expiry' }),
    intervalMs: config.EVIDENCE_SWEEP_MS,
  });
  await bus.ensureTopics([topic, `${topic}.dlq`]);
  // Consumers first: on the in-process bus a message published before they subscribe would have no one to go to.
  await consumer.start();
  await publisher.start();
  dispatcher.start();
  for (const runner of projections) await runner.start();
  evidenceWatch.start();
  resources.readiness.push(publisher.readiness());
  return {
    publisher,
    projections,
    evidenceWatch,
    dispatcher,
    async stop() {
      await evidenceWatch.stop();
      for (const runner of projections) await runner.stop();
      await publisher.stop();
      await dispatcher.stop();
      await consumer.stop();
    },
  };
}
