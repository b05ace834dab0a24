/**
 * Vitest global set-up: provides the real services the suites talk to.
 *
 * Each service comes from its environment variable (DATABASE_URL, REDIS_URL, KAFKA_BROKERS, ESDB_URL). Where that is
 * unset it is started with Docker (Testcontainers) if a Docker engine answers, and otherwise taken from the local
 * machine: the PostgreSQL and Redis servers on their standard ports, and a Kafka broker run from the Apache Kafka jars
 * (scripts/kafka-broker.ts). A service that cannot be had is reported loudly; its suites show "skipped: no <service>".
 * Under CI=true a missing PostgreSQL, Redis or Kafka fails the run. EventStoreDB is the one optional service.
 */
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaBroker } from '../../scripts/kafka-broker.js';

export interface ProvidedServices {
  databaseUrl?: string;
  redisUrl?: string;
  kafkaBrokers?: string[];
  esdbUrl?: string;
  /** Why each missing service is missing. */
  missing: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: ProvidedServices;
  }
}

const REQUIRED_IN_CI = ['postgres', 'redis', 'kafka'];
const cleanups: Array<() => Promise<void>> = [];

function dockerAvailable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function fromDocker<T>(start: () => Promise<T>): Promise<T | undefined> {
  if (!dockerAvailable()) return undefined;
  try {
    return await start();
  } catch (error) {
    console.warn(`[services] Docker did not start the container: ${(error as Error).message}`);
    return undefined;
  }
}

async function postgres(): Promise<string> {
  const url =
    process.env.DATABASE_URL ??
    (await fromDocker(async () => {
      const { GenericContainer, Wait } = await import('testcontainers');
      const container = await new GenericContainer('postgres:15')
        .withEnvironment({ POSTGRES_PASSWORD: 'ledger', POSTGRES_DB: 'ledger' })
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start();
      cleanups.push(async () => void (await container.stop()));
      return `postgres://postgres:ledger@${container.getHost()}:${container.getMappedPort(5432)}/ledger`;
    })) ??
    'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  await client.query('select 1');
  await client.end();
  return url;
}

async function redis(): Promise<string> {
  const url =
    process.env.REDIS_URL ??
    (await fromDocker(async () => {
      const { GenericContainer } = await import('testcontainers');
      const container = await new GenericContainer('redis:7').withExposedPorts(6379).start();
      cleanups.push(async () => void (await container.stop()));
      return `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
    })) ??
    'redis://127.0.0.1:6379';
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') throw new Error('Redis did not answer PING');
  } finally {
    client.disconnect();
  }
  return url;
}

async function kafka(): Promise<string[]> {
  let brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim());
  brokers ??= await fromDocker(async () => {
    const { GenericContainer, Wait } = await import('testcontainers');
    // apache/kafka runs KRaft by default; the same version as docker-compose.yml and scripts/kafka-broker.ts.
    const hostPort = 39092;
    const container = await new GenericContainer('apache/kafka:3.9.1')
      .withExposedPorts({ container: 9092, host: hostPort })
      .withEnvironment({ KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://localhost:${hostPort},CONTROLLER://localhost:9093` })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start();
    cleanups.push(async () => void (await container.stop()));
    return [`localhost:${hostPort}`];
  });
  if (!brokers) {
    const broker = await startKafkaBroker({ log: (line) => console.log(`[services] ${line}`) });
    cleanups.push(() => broker.destroy());
    brokers = broker.brokers;
  }
  const admin = new Kafka({
    clientId: 'ledger-test-setup',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8 },
  }).admin();
  await admin.connect();
  await admin.describeCluster();
  await admin.disconnect();
  return brokers;
}

async function eventStoreDb(): Promise<string | undefined> {
  if (process.env.ESDB_URL) return process.env.ESDB_URL;
  return fromDocker(async () => {
    const { GenericContainer } = await import('testcontainers');
    const container = await new GenericContainer('eventstore/eventstore:24.10')
      .withEnvironment({ EVENTSTORE_INSECURE: 'true', EVENTSTORE_RUN_PROJECTIONS: 'None', EVENTSTORE_MEM_DB: 'true' })
      .withExposedPorts(2113)
      .start();
    cleanups.push(async () => void (await container.stop()));
    return `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const provided: ProvidedServices = { missing: {} };
  const attempts: Array<[string, () => Promise<void>]> = [
    ['postgres', async () => void (provided.databaseUrl = await postgres())],
    ['redis', async () => void (provided.redisUrl = await redis())],
    ['kafka', async () => void (provided.kafkaBrokers = await kafka())],
    [
      'eventstoredb',
      async () => {
        provided.esdbUrl = await eventStoreDb();
        if (!provided.esdbUrl) throw new Error('set ESDB_URL or run a Docker engine');
      },
    ],
  ];
  await Promise.all(
    attempts.map(async ([name, attempt]) => {
      try {
        await attempt();
      } catch (error) {
        provided.missing[name] = (error as Error).message;
      }
    }),
  );

  for (const [name, why] of Object.entries(provided.missing)) {
    console.warn(
      `\n  ⚠  ${name.toUpperCase()} UNAVAILABLE: its suites are skipped ("skipped: no ${name}"). Reason: ${why}\n`,
    );
  }
  const missingRequired = Object.keys(provided.missing).filter((name) => REQUIRED_IN_CI.includes(name));
  if (process.env.CI === 'true' && missingRequired.length > 0) {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
    throw new Error(
      `CI=true and these services are missing: ${missingRequired.join(', ')}. Tests against real services cannot be skipped in CI.`,
    );
  }
  project.provide('services', provided);
  return async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup().catch(() => {})));
  };
}
