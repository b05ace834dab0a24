import { randomBytes } from 'node:crypto';
import pg from 'pg';
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

/**
 * A fresh schema on the test PostgreSQL server, migrated; `reopen()` closes the latest handle and opens a new one on
 * the same schema (what a restarted process does); `drop()` closes the latest handle and removes the schema.
 */
export async function openTestDatabase(
  prefix = 't',
): Promise<Database & { reopen(): Promise<Database>; drop(): Promise<void> }> {
  if (!services.databaseUrl) throw new Error('No PostgreSQL for this test');
  const schema = uniqueName(prefix);
  const open = () =>
    openDatabase({ kind: 'postgres', url: services.databaseUrl!, schema, applicationName: `ledger-test-${schema}` });
  const database = await open();
  await migrateToLatest(database);
  let latest = database;
  return {
    ...database,
    async reopen() {
      await latest.close();
      return (latest = await open());
    },
    async drop() {
      await latest.close();
      const admin = await openDatabase({ kind: 'postgres', url: services.databaseUrl!, poolSize: 1 });
      await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await admin.close();
    },
  };
}

/** A PGlite database, migrated: in memory and fresh, or kept under `dataDir` (as the embedded default keeps it). */
export async function openPgliteDatabase(dataDir?: string): Promise<Database> {
  const database = await openDatabase({ kind: 'pglite', dataDir });
  await migrateToLatest(database);
  return database;
}

/**
 * A transaction left open in another database of the test server, holding a transaction id: until `release()`,
 * readers of every event log on the server cannot see events appended after it began.
 */
export async function openTransactionElsewhere(): Promise<{ release(): Promise<void> }> {
  const url = new URL(services.databaseUrl!);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('select pg_current_xact_id()'); // takes a transaction id: from now on it holds others back
  } catch (error) {
    await client.end();
    throw error;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query('commit');
      } finally {
        await client.end();
      }
    },
  };
}
