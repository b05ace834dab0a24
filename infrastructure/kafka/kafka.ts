import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { ReadinessCheck } from '../http/readiness.js';
import type { Logger } from '../logging/logger.js';

/** A kafkajs client whose own log lines go through the ledger's logger. */
export function createKafka(brokers: string[], clientId: string, logger: Logger): Kafka {
  const child = logger.child({ component: 'kafka' });
  const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
    [logLevel.ERROR]: 'error',
    [logLevel.WARN]: 'warn',
    [logLevel.INFO]: 'info',
    [logLevel.DEBUG]: 'debug',
  };
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        child[levels[level] ?? 'info'](extra, message);
      },
  });
}

export function kafkaReadiness(kafka: Kafka): ReadinessCheck {
  const admin = kafka.admin();
  let connected: Promise<void> | undefined;
  return {
    name: 'kafka',
    async check() {
      connected ??= admin.connect().catch((error: unknown) => {
        connected = undefined;
        throw error;
      });
      await connected;
      const cluster = await admin.describeCluster();
      return { brokers: cluster.brokers.length };
    },
    close: () => admin.disconnect(),
  };
}
