import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/config.js';
import type { DatabaseOptions } from './database.js';

/**
 * The database the configuration names: DATABASE_URL's server, else the embedded default under DATA_DIR. The embedded
 * default is a PostgreSQL server of the ledger's own, unless EMBEDDED_DATABASE=pglite, or DATA_DIR already holds a
 * PGlite database from an earlier version and no server folder: that one stays in use, so nothing recorded is lost.
 */
export function configuredDatabase(
  config: Config,
  options: { poolSize?: number; applicationName: string; onLog?: (line: string) => void },
): DatabaseOptions {
  const schema = config.DATABASE_SCHEMA;
  if (config.DATABASE_URL)
    return {
      kind: 'postgres',
      url: config.DATABASE_URL,
      schema,
      poolSize: options.poolSize ?? config.DATABASE_POOL_SIZE,
      applicationName: options.applicationName,
    };
  const dataDir = resolve(config.DATA_DIR);
  return embeddedKind(config, dataDir) === 'pglite'
    ? { kind: 'pglite', dataDir, schema }
    : { kind: 'embedded', dataDir, schema, ...options, poolSize: options.poolSize ?? config.DATABASE_POOL_SIZE };
}

export function embeddedKind(config: Config, dataDir = resolve(config.DATA_DIR)): 'postgres' | 'pglite' {
  if (config.EMBEDDED_DATABASE) return config.EMBEDDED_DATABASE;
  return existsSync(join(dataDir, 'pglite')) && !existsSync(join(dataDir, 'postgres')) ? 'pglite' : 'postgres';
}
