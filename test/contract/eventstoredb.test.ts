import { randomBytes } from 'node:crypto';
import { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { EsdbEventStore } from '../../infrastructure/event-store/eventstoredb/esdb-event-store.js';
import { needs, openTestDatabase, services } from '../support/services.js';
import { eventStoreContract, type EventStoreHarness } from './event-store.contract.js';

// Runs wherever ESDB_URL or a Docker engine provides an EventStoreDB; elsewhere the summary says
// "skipped: no eventstoredb", loudly, and the global set-up prints why. Subject keys live in PostgreSQL.
const esdb = needs('eventstoredb');
const postgres = needs('postgres');

eventStoreContract(
  'EventStoreDB',
  async (): Promise<EventStoreHarness> => {
    const database = await openTestDatabase('esdb');
    let now: Date | undefined;
    const store = new EsdbEventStore(services.esdbUrl!, { now: () => now ?? new Date(), pollIntervalMs: 200 });
    return {
      store,
      setNow: (date) => void (now = date),
      vault: new PersonalDataVault(database, randomBytes(32)),
      async cleanup() {
        await store.close();
        await database.drop();
      },
    };
  },
  { skip: esdb.skip ? 'no eventstoredb' : postgres.skip ? 'no postgres' : undefined },
);
