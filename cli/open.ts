import { resolve } from 'node:path';
import { sql } from 'kysely';
import { ConfigError, loadConfig, type Config } from '../infrastructure/config/config.js';
import { configuredDatabase } from '../infrastructure/database/configured.js';
import { openDatabase, type Database } from '../infrastructure/database/database.js';
import { configuredEventStore } from '../infrastructure/event-store/configured.js';
import type { EventStore } from '../infrastructure/event-store/types.js';
import { createLogger, type Logger } from '../infrastructure/logging/logger.js';
import { openResources, serverConnectionName, type Resources } from '../infrastructure/runtime/resources.js';
import { CliError } from './output.js';

/**
 * What the operator's commands open, from the same environment as the ledger (DATABASE_URL, DATABASE_SCHEMA,
 * DATA_DIR, EVENT_STORE, MASTER_KEY, JWT_SECRET, REDIS_URL, ...): the embedded default under DATA_DIR when
 * DATABASE_URL is unset (attached to, if the ledger runs). Logs go to stderr, quieter than the server's, so that
 * stdout holds only the command's answer.
 */
export interface CliEnvironment {
  config: Config;
  dataDir: string;
  logger: Logger;
}

export function cliEnvironment(env: NodeJS.ProcessEnv = process.env): CliEnvironment {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 1);
    throw error;
  }
  const logger = createLogger({
    level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
    format: 'json',
    destination: process.stderr,
  });
  return { config, dataDir: resolve(config.DATA_DIR), logger };
}

/** The ledger servers connected to this database's schema now, by their connections' names (serverConnectionName). */
export async function runningLedgers(database: Database): Promise<string[]> {
  if (database.kind !== 'postgres') return [];
  const names = (['all', 'command-api', 'query-api', 'projections'] as const).map((role) =>
    serverConnectionName(role, database.schema),
  );
  const { rows } = await sql<{ application_name: string }>`
    select distinct application_name from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and application_name = any(${names}::text[])`.execute(
    database.db,
  );
  return rows.map((row) => row.application_name);
}

/** The database and the event store only: for migrate, rebuild, verify, keys. */
export async function withStores<T>(
  environment: CliEnvironment,
  work: (stores: { database: Database; eventStore: EventStore }) => Promise<T>,
  options: {
    applicationName: string;
    poolSize?: number;
    /** The command may not run while a ledger server uses the database (it reads its keys only when it starts). */
    whileStopped?: string;
  },
): Promise<T> {
  const database = await openDatabase(configuredDatabase(environment.config, options));
  const eventStore = configuredEventStore(environment.config, database);
  try {
    const running = options.whileStopped ? await runningLedgers(database) : [];
    if (running.length > 0)
      throw new CliError(
        `A ledger is running on this database (${running.join(', ')}): stop it, run ${options.whileStopped}, then start it again. ` +
          'A running ledger keeps the keys it started with, and what it writes meanwhile could not be read after.',
        1,
      );
    return await work({ database, eventStore });
  } finally {
    await eventStore.close();
    await database.close();
  }
}

/**
 * Everything a ledger process opens (the vault, sessions, the mailer, the keyed hashes): for commands that act as the
 * API does (tenants, users, replay, keys). Migrates first only when MIGRATE_ON_START says so, as the server does.
 */
export async function withResources<T>(
  environment: CliEnvironment,
  work: (resources: Resources) => Promise<T>,
): Promise<T> {
  const { config, logger } = environment;
  const resources = await openResources(config, logger, {
    migrate: config.MIGRATE_ON_START,
    applicationName: `ledger-cli@${config.DATABASE_SCHEMA}`.slice(0, 63),
  });
  // Links in mails and in the answers point at PUBLIC_URL, else where the ledger listens when configured alike.
  if (!config.PUBLIC_URL) resources.publicUrl.listeningAt(`http://${config.HOST}:${config.PORT}`);
  try {
    return await work(resources);
  } finally {
    await resources.close();
  }
}
