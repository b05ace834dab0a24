import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../infrastructure/database/database.js';
import { migrateToLatest } from '../../infrastructure/database/migrate.js';
import { needs, services, uniqueName } from '../support/services.js';

const skip = needs('postgres').skip;

describe.skipIf(skip)(`migrations${skip ? ' (skipped: no postgres)' : ''}`, () => {
  // Kysely's own introspector reads every table of every schema: one dropped meanwhile must not fail our migration.
  it('migrates a schema while other schemas and tables of the database come and go', async () => {
    const admin = await openDatabase({ kind: 'postgres', url: services.databaseUrl!, poolSize: 4 });
    const ours = Array.from({ length: 3 }, () => uniqueName('mig'));
    let churning = true;
    const schemaChurn = (async () => {
      while (churning) {
        const name = uniqueName('churn');
        await sql`create schema ${sql.id(name)}`.execute(admin.db);
        for (let i = 0; i < 20; i++)
          await sql`create table ${sql.id(name)}.${sql.id(`t${i}`)} (id serial primary key, a text)`.execute(admin.db);
        await sql`drop schema ${sql.id(name)} cascade`.execute(admin.db);
      }
    })();
    // Like a projection rebuild in another schema: tables created, swapped and dropped one by one.
    const stable = uniqueName('churn');
    await sql`create schema ${sql.id(stable)}`.execute(admin.db);
    const tableChurn = (async () => {
      for (let i = 0; churning; i++) {
        const table = sql.id(stable, `t${i % 50}`);
        await sql`create table if not exists ${table} (id serial primary key, a text)`.execute(admin.db);
        await sql`drop table if exists ${sql.id(stable, `t${(i + 25) % 50}`)}`.execute(admin.db);
      }
    })();
    const churn = Promise.all([schemaChurn, tableChurn]);
    try {
      for (const schema of ours) {
        const database = await openDatabase({ kind: 'postgres', url: services.databaseUrl!, schema, poolSize: 2 });
        try {
          const results = await migrateToLatest(database);
          expect(results?.every((r) => r.status === 'Success')).toBe(true);
        } finally {
          await database.close();
        }
      }
    } finally {
      churning = false;
      await churn;
      for (const schema of [...ours, stable])
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    }
  }, 120_000);
});
