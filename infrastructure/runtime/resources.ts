import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import { isEmbedded, type Config } from '../config/config.js';
import { PersonalDataVault } from '../crypto-shredding/personal-data.js';
import { openDatabase, type Database } from '../database/database.js';
import { migrateToLatest } from '../database/migrate.js';
import { EsdbEventStore } from '../event-store/eventstoredb/esdb-event-store.js';
import { PostgresEventStore } from '../event-store/postgres/postgres-event-store.js';
import type { EventStore } from '../event-store/types.js';
import type { ReadinessCheck } from '../http/readiness.js';
import { createKafka, kafkaReadiness } from '../kafka/kafka.js';
import type { Logger } from '../logging/logger.js';
import { createRedis, redisReadiness } from '../redis/redis.js';

/** Everything a ledger process talks to, opened from the configuration. */
export interface Resources {
  config: Config;
  database: Database;
  eventStore: EventStore;
  vault: PersonalDataVault;
  redis?: Redis;
  kafka?: Kafka;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

export async function openResources(config: Config, logger: Logger, options: { migrate?: boolean } = {}): Promise<Resources> {
  const dataDir = resolve(config.DATA_DIR);
  const database = await openDatabase(
    config.DATABASE_URL
      ? { kind: 'postgres', url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE, applicationName: `ledger-${config.LEDGER_ROLE}` }
      : { kind: 'pglite', dataDir, schema: config.DATABASE_SCHEMA },
  );
  const closers: Array<() => Promise<unknown>> = [() => database.close()];
  try {
    if (options.migrate ?? true) {
      const applied = (await migrateToLatest(database)) ?? [];
      for (const result of applied) logger.info({ migration: result.migrationName }, 'migration applied');
    }
    const eventStore =
      config.EVENT_STORE === 'eventstoredb' ? new EsdbEventStore(config.ESDB_URL!) : new PostgresEventStore(database);
    closers.unshift(() => eventStore.close());
    const vault = new PersonalDataVault(database, masterKey(config, dataDir, logger));

    const readiness: ReadinessCheck[] = [
      {
        name: 'database',
        async check() {
          await database.db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
          return { kind: database.kind, schema: database.schema };
        },
      },
      { name: 'eventStore', check: async () => ({ adapter: config.EVENT_STORE, head: await eventStore.headPosition() }) },
    ];
    let redis: Redis | undefined;
    if (config.REDIS_URL) {
      redis = createRedis(config.REDIS_URL);
      readiness.push(redisReadiness(redis));
      const client = redis;
      closers.unshift(async () => client.quit().catch(() => client.disconnect()));
    }
    let kafka: Kafka | undefined;
    if (config.KAFKA_BROKERS) {
      kafka = createKafka(config.KAFKA_BROKERS, `compliance-ledger-${config.LEDGER_ROLE}`, logger);
      readiness.push(kafkaReadiness(kafka));
    }
    return {
      config,
      database,
      eventStore,
      vault,
      redis,
      kafka,
      readiness,
      async close() {
        for (const check of readiness) await check.close?.().catch(() => {});
        for (const close of closers) await close().catch((error: unknown) => logger.warn({ err: error }, 'error while closing'));
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => {});
    throw error;
  }
}

/**
 * The key that wraps every data subject's key. From MASTER_KEY when set (required in production); otherwise made
 * once and kept in DATA_DIR/master.key, readable by the owner only. Losing it loses all personal data.
 */
function masterKey(config: Config, dataDir: string, logger: Logger): Buffer {
  if (config.MASTER_KEY) return config.MASTER_KEY;
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return key;
  }
  if (!isEmbedded(config)) logger.warn({ file }, 'MASTER_KEY is not set: generating one in DATA_DIR. Set MASTER_KEY for any shared deployment.');
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}
