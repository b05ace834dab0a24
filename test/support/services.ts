import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../infrastructure/database/database.js';
import { migrateToLatest } from '../../infrastructure/database/migrate.js';

export const services = inject('services');

/** Title suffix for a suite that needs a service: "(skipped: no kafka)" shows in the summary when it is missing. */
export function needs(service: 'postgres' | 'redis' | 'kafka' | 'eventstoredb'): { skip: boolean; title: string } {
  const skip = service in services.missing;
  return { skip, title: skip ? ` (skipped: no ${service})` : '' };
}

/** A name no other test file or rerun will use: schemas, topics, key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** A fresh schema on the test PostgreSQL server, migrated; `drop()` removes it. */
export async function openTestDatabase(prefix = 't'): Promise<Database & { drop(): Promise<void> }> {
  if (!services.databaseUrl) throw new Error('No PostgreSQL for this test');
  const schema = uniqueName(prefix);
  const database = await openDatabase({ kind: 'postgres', url: services.databaseUrl, schema, applicationName: `ledger-test-${schema}` });
  await migrateToLatest(database);
  return {
    ...database,
    async drop() {
      await database.close();
      const admin = await openDatabase({ kind: 'postgres', url: services.databaseUrl!, poolSize: 1 });
      await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await admin.close();
    },
  };
}

/** A fresh in-memory PGlite database, migrated. */
export async function openPgliteDatabase(): Promise<Database> {
  const database = await openDatabase({ kind: 'pglite' });
  await migrateToLatest(database);
  return database;
}
