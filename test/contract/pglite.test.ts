import { randomBytes } from 'node:crypto';
import { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { openPgliteDatabase } from '../support/services.js';
import { eventStoreContract, type EventStoreHarness } from './event-store.contract.js';
import { tamperWithEvent } from './tamper.js';

// The embedded default: the same adapter on PGlite. One connection, so commits never interleave.
eventStoreContract(
  'PGlite (embedded)',
  async (): Promise<EventStoreHarness> => {
    const database = await openPgliteDatabase();
    let now: Date | undefined;
    return {
      store: new PostgresEventStore(database, { now: () => now ?? new Date(), pollIntervalMs: 200 }),
      setNow: (date) => void (now = date),
      vault: new PersonalDataVault(database, randomBytes(32)),
      tamper: (streamId, revision, data) => tamperWithEvent(database, streamId, revision, data),
      cleanup: () => database.close(),
    };
  },
  { tamper: true },
);
