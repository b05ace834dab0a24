import type { Command } from 'commander';
import { migrateToLatest } from '../../infrastructure/database/migrate.js';
import { action } from '../action.js';
import { withStores, type CliEnvironment } from '../open.js';

/** Applies every pending migration; what `ledger migrate` and `npm run migrate` (bin/migrate.ts) both run. */
export async function migrate(environment: CliEnvironment): Promise<{ schema: string; applied: string[] }> {
  return withStores(
    environment,
    async ({ database }) => {
      const results = (await migrateToLatest(database)) ?? [];
      return { schema: database.schema, applied: results.map((result) => result.migrationName) };
    },
    { applicationName: 'ledger-migrate', poolSize: 1 },
  );
}

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply every pending migration to the configured database (run it as the schema owner)')
    .action(
      action(async ({ environment, out }) => {
        const { schema, applied } = await migrate(environment);
        for (const name of applied) out.line(`applied ${name}`);
        out.line(
          applied.length
            ? `${applied.length} migration(s) applied to schema "${schema}"`
            : `schema "${schema}" is up to date`,
        );
        out.result({ schema, applied });
      }),
    );
}
