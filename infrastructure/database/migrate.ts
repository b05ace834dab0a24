import {
  Migrator,
  sql,
  type DatabaseIntrospector,
  type Kysely,
  type MigrationResultSet,
  type TableMetadata,
} from 'kysely';
import { allMigrations } from '../../migrations/index.js';
import type { Database } from './database.js';

/**
 * Kysely's own introspector reads the columns of every table in every schema, calling functions such as
 * `pg_get_serial_sequence` on each. When another schema or table is dropped meanwhile (another application's, a
 * parallel test's, a projection rebuild swapping its tables), PostgreSQL fails that whole query although nothing was
 * wrong with ours. The migrator only needs to know whether its two tables exist in our schema, so it gets an
 * introspector that looks at our schema alone.
 */
function schemaIntrospector(db: Kysely<unknown>, schema: string): DatabaseIntrospector {
  const introspector: DatabaseIntrospector = {
    async getSchemas() {
      const { rows } = await sql<{
        name: string;
      }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db);
      return rows;
    },
    async getTables() {
      const { rows } = await sql<{ name: string; kind: string }>`
        select c.relname as name, c.relkind as kind
          from pg_catalog.pg_class c join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
         where ns.nspname = ${schema} and c.relkind in ('r', 'v', 'p')`.execute(db);
      return rows.map((row): TableMetadata => ({ name: row.name, schema, isView: row.kind === 'v', columns: [] }));
    },
    async getMetadata() {
      return { tables: await introspector.getTables() };
    },
  };
  return introspector;
}

/** The database handle as the migrator sees it: the same, but introspecting our schema only. */
function forMigrator(database: Database): Kysely<unknown> {
  const db = database.db as unknown as Kysely<unknown>;
  const introspection = schemaIntrospector(db, database.schema);
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      // Kysely keeps its state in private fields, so its methods and getters must run on the real instance.
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Applies every pending migration to the database's schema. Throws with the failing migration's error. */
export async function migrateToLatest(database: Database): Promise<MigrationResultSet['results']> {
  const migrator = new Migrator({
    db: forMigrator(database),
    provider: { getMigrations: allMigrations },
    migrationTableSchema: database.schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (!error) return results;
  const failed = results?.find((result) => result.status === 'Error');
  throw new Error(
    `Migration ${failed?.migrationName ?? '(unknown)'} failed: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}
