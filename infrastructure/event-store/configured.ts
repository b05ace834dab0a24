import type { Config } from '../config/config.js';
import type { Database } from '../database/database.js';
import { EsdbEventStore } from './eventstoredb/esdb-event-store.js';
import { PostgresEventStore } from './postgres/postgres-event-store.js';
import type { EventStore } from './types.js';

/** The event store the configuration names: EventStoreDB at ESDB_URL, else the log in the ledger's database. */
export function configuredEventStore(config: Config, database: Database): EventStore {
  return config.EVENT_STORE === 'eventstoredb'
    ? new EsdbEventStore(config.ESDB_URL!)
    : new PostgresEventStore(database);
}
