/**
 * npm run migrate: applies every pending migration to the configured database (DATABASE_URL, DATABASE_SCHEMA; the
 * embedded default under DATA_DIR when DATABASE_URL is unset, attached to if the ledger runs). Run it as a role that owns the schema; the
 * applications can then run as members of ledger_app, which may append events but never change them.
 */
import { openDatabase } from '../infrastructure/database/database.js';
import { migrateToLatest } from '../infrastructure/database/migrate.js';
import { ConfigError, loadConfig } from '../infrastructure/config/config.js';
import { configuredDatabase } from '../infrastructure/database/configured.js';

try {
  const config = loadConfig();
  const database = await openDatabase(configuredDatabase(config, { poolSize: 1, applicationName: 'ledger-migrate' }));
  try {
    const results = (await migrateToLatest(database)) ?? [];
    for (const result of results) console.log(`applied ${result.migrationName}`);
    console.log(
      results.length
        ? `${results.length} migration(s) applied to schema "${database.schema}"`
        : `schema "${database.schema}" is up to date`,
    );
  } finally {
    await database.close();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
