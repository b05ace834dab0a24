/**
 * The point-in-time replay itself, on both databases: a PostgreSQL server (the log streams into the temporary tables
 * batch by batch) and embedded PGlite (one connection: the log is read first).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../infrastructure/database/database.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import type { NewEvent } from '../../infrastructure/event-store/types.js';
import { clientsProjection } from '../../projections/read-models/clients.js';
import { violationsProjection } from '../../projections/read-models/violations.js';
import { atMoment } from '../../query-api/point-in-time/replay.js';
import { needs, openPgliteDatabase, openTestDatabase } from '../support/services.js';

const databases: Array<[string, () => Promise<Database & { drop?: () => Promise<void> }>, boolean]> = [
  ['PostgreSQL', () => openTestDatabase('pit'), needs('postgres').skip],
  ['PGlite (embedded)', () => openPgliteDatabase(), false],
];

for (const [name, open, skip] of databases) {
  describe.skipIf(skip)(`point-in-time replay on ${name}${skip ? ' (skipped: no postgres)' : ''}`, () => {
    let database: Database & { drop?: () => Promise<void> };
    let store: PostgresEventStore;
    const tenantId = randomUUID();
    const other = randomUUID();
    const clientId = randomUUID();
    const positions: string[] = [];

    beforeAll(async () => {
      database = await open();
      store = new PostgresEventStore(database);
      const meta = (tenant: string) => ({ tenantId: tenant, actorId: 'u', correlationId: 'c' });
      const append = async (tenant: string, stream: string, events: Array<Omit<NewEvent, 'metadata'>>) =>
        positions.push(
          (
            await store.append(
              `${tenant}/${stream}`,
              events.map((e) => ({ ...e, metadata: meta(tenant) })),
            )
          ).position,
        );
      await append(tenantId, `client/${clientId}`, [
        {
          type: 'ClientRegistered',
          data: { clientId, name: 'Acme', industry: 'health', size: '1-10', frameworks: [] },
        },
      ]);
      // More than one batch of violations (5,000 a batch), then a rename.
      for (let i = 0; i < 6; i++) {
        await append(
          tenantId,
          `violations/${i}`,
          Array.from({ length: 1000 }, () => ({
            type: 'ViolationRecorded',
            data: {
              clientId,
              kind: 'sensitive-data',
              action: 'block',
              severity: 'high',
              entityCounts: {},
              reasons: [],
            },
          })),
        );
      }
      await append(tenantId, `client/${clientId}`, [{ type: 'ClientUpdated', data: { name: 'Acme Group' } }]);
      await append(other, `client/${randomUUID()}`, [
        {
          type: 'ClientRegistered',
          data: { clientId: randomUUID(), name: 'Not yours', industry: 'x', size: '1-10', frameworks: [] },
        },
      ]);
    }, 120_000);
    afterAll(async () => (database?.drop ? database.drop() : database?.close()));

    const stateAt = (position: string) =>
      atMoment(
        database,
        store,
        {
          tenantId,
          asOf: { kind: 'position', position: position as never },
          projections: [clientsProjection, violationsProjection],
        },
        async (trx, moment) => ({
          moment,
          clients: (await sql<{ name: string }>`select name from clients order by name`.execute(trx)).rows.map(
            (r) => r.name,
          ),
          violations: (await sql<{ n: number }>`select count(*)::int as n from violations`.execute(trx)).rows[0]!.n,
        }),
      );

    it('replays the tenant only, up to the position, through the projections, in batches', async () => {
      const first = await stateAt(positions[0]!);
      expect(first).toMatchObject({ clients: ['Acme'], violations: 0, moment: { position: positions[0], events: 1 } });
      const middle = await stateAt(positions[3]!);
      expect(middle).toMatchObject({ clients: ['Acme'], violations: 3000 });
      const last = await stateAt(positions[7]!);
      expect(last).toMatchObject({ clients: ['Acme Group'], violations: 6000, moment: { events: 6002 } });
    });

    it('leaves nothing behind: the live tables are untouched and the temporary ones are gone', async () => {
      const live = await sql<{ n: number }>`select count(*)::int as n from clients`.execute(database.db);
      expect(live.rows[0]!.n).toBe(0); // no projection runs here: only replays wrote, and only to temporary tables
      const temporary = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_tables where schemaname like 'pg_temp%' and tablename in ('clients', 'violations')`.execute(
        database.db,
      );
      expect(temporary.rows[0]!.n).toBe(0);
    });
  });
}
