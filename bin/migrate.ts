/**
 * npm run migrate: applies every pending migration to the configured database (DATABASE_URL, DATABASE_SCHEMA; the
 * embedded default under DATA_DIR when DATABASE_URL is unset, attached to if the ledger runs). Run it as a role that owns the schema; the
 * applications can then run as members of ledger_app, which may append events but never change them.
 * The same as `ledger migrate` (cli/commands/migrate.ts).
 */
import { migrate } from '../cli/commands/migrate.js';
import { cliEnvironment } from '../cli/open.js';
import { CliError } from '../cli/output.js';

try {
  const { schema, applied } = await migrate(cliEnvironment());
  for (const name of applied) console.log(`applied ${name}`);
  console.log(
    applied.length
      ? `${applied.length} migration(s) applied to schema "${schema}"`
      : `schema "${schema}" is up to date`,
  );
} catch (error) {
  // A configuration problem is listed as it is (every variable by name); anything else failed the migration.
  console.error(error instanceof CliError ? error.message : `Migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
