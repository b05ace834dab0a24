import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { needs, openTestDatabase } from '../support/services.js';
import { eventStoreContract, type EventStoreHarness } from './event-store.contract.js';
import { tamperWithEvent } from './tamper.js';

const postgres = needs('postgres');

eventStoreContract(
  'PostgreSQL',
  async (): Promise<EventStoreHarness> => {
    const database = await openTestDatabase('es');
    let now: Date | undefined;
    const store = new PostgresEventStore(database, { now: () => now ?? new Date(), pollIntervalMs: 200 });
    return {
      store,
      setNow: (date) => void (now = date),
      vault: new PersonalDataVault(database, randomBytes(32)),
      async openAppend(streamId, events) {
        let release!: (outcome: 'commit' | 'rollback') => void;
        const outcome = new Promise<'commit' | 'rollback'>((resolve) => (release = resolve));
        let written!: () => void;
        const ready = new Promise<void>((resolve) => (written = resolve));
        const finished = database.db
          .transaction()
          .execute(async (trx) => {
            await store.appendWithin(trx, streamId, events);
            written();
            if ((await outcome) === 'rollback') throw new RolledBack();
          })
          .catch((error: unknown) => {
            if (!(error instanceof RolledBack)) throw error;
          });
        await ready;
        return {
          commit: async () => {
            release('commit');
            await finished;
            store.notifyAppended(); // as a caller of appendWithin does after its commit
          },
          rollback: async () => (release('rollback'), finished),
        };
      },
      tamper: (streamId, revision, data) => tamperWithEvent(database, streamId, revision, data),
      async dropConnections() {
        await sql`select pg_terminate_backend(pid) from pg_stat_activity
          where application_name like ${`ledger-test-${database.schema}%`} and pid <> pg_backend_pid()`
          .execute(database.db)
          .catch(() => {});
      },
      cleanup: () => database.drop(),
    };
  },
  { skip: postgres.skip ? 'no postgres' : undefined, interleavedCommits: true, tamper: true, dropConnections: true },
);

class RolledBack extends Error {}
