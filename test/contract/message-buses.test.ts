import { InProcessBus } from '../../infrastructure/bus/in-process-bus.js';
import { KafkaBus } from '../../infrastructure/bus/kafka-bus.js';
import { createKafka } from '../../infrastructure/kafka/kafka.js';
import { createLogger } from '../../infrastructure/logging/logger.js';
import { needs, services, uniqueName } from '../support/services.js';
import { messageBusContract } from './message-bus.contract.js';

const logger = createLogger({ level: 'silent', format: 'json' });

messageBusContract('in-process', async () => new InProcessBus());

const kafka = needs('kafka');
messageBusContract(
  `Kafka${kafka.title}`,
  async () =>
    new KafkaBus(
      createKafka(services.kafkaBrokers!, uniqueName('bus'), logger),
      { partitions: 3, replicationFactor: 1 },
      logger,
    ),
  kafka.skip,
);
