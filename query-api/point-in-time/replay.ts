import { sql, type Transaction } from 'kysely';
import type { Database } from '../../infrastructure/database/database.js';
import { comparePositions, isPosition, type Position } from '../../infrastructure/event-store/position.js';
import type { EventStore, RecordedEvent } from '../../infrastructure/event-store/types.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { readAs } from '../../infrastructure/read-models/tenant-scope.js';
import { applyAll, eventTypesOf, type AnyProjection } from '../../projections/projection.js';
import type { ClientScope } from '../history/client-scope.js';

/** A moment in a tenant's history: up to a log position, or up to a time. */
export type AsOf = { kind: 'position'; position: Position } | { kind: 'time'; time: string };

/** Parses `asOf` (an ISO 8601 time or a log position); a 400 naming `field` otherwise. */
export function parseAsOf(value: string, field = 'asOf'): AsOf {
  if (isPosition(value)) return { kind: 'position', position: value };
  const time = Date.parse(value);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new HttpProblem(
      400,
      'validation',
      'The request is not valid',
      `${field} is an ISO 8601 time or a log position`,
      {
        errors: [{ field, message: 'expected an ISO 8601 time or a position' }],
      },
    );
  }
  // History is what was recorded: a state "as of" a time still to come would be a guess (evidence that will have
  // expired by then, say), so it is refused rather than made up. A few seconds of clock skew are let through.
  if (time > Date.now() + FUTURE_SKEW_MS) {
    throw new HttpProblem(400, 'validation', 'The request is not valid', `${field} is in the future`, {
      errors: [{ field, message: 'must not be later than now' }],
    });
  }
  return { kind: 'time', time: new Date(time).toISOString() };
}

const FUTURE_SKEW_MS = 5_000;

export interface Replayed {
  /** The moment the state is as of: the time asked for, or for a position when the tenant's last event up to it was recorded. */
  at: string;
  /** The position asked for, or for a time the last event replayed (null if none). */
  position: Position | null;
  events: number;
}

/**
 * The tenant's events for these projections up to a moment, in log order, in batches. History is the log's order:
 * "as of a time" is every event up to the last one recorded at or before it.
 */
export async function* eventsUpTo(eventStore: EventStore, scope: ReplayScope): AsyncGenerator<RecordedEvent[]> {
  const { asOf, projections } = scope;
  const after = (event: RecordedEvent): boolean =>
    asOf.kind === 'position'
      ? comparePositions(event.position, asOf.position) > 0
      : event.metadata.recordedAt > asOf.time;
  const mine = async (event: RecordedEvent) => !scope.reader || (await scope.reader.sees(event));
  if (scope.streamId !== undefined) {
    const stream = await eventStore.readStream(scope.streamId);
    const end = stream.findIndex(after);
    const events: RecordedEvent[] = [];
    for (const event of end === -1 ? stream : stream.slice(0, end)) if (await mine(event)) events.push(event);
    if (events.length > 0) yield events;
    return;
  }
  // A position the log already gave out (an append's answer) may still be hidden behind an older transaction open
  // elsewhere: read the log once it shows everything up to it, so that "as of" it is never cut short.
  if (asOf.kind === 'position') await eventStore.visibleThrough?.(asOf.position, VISIBILITY_WAIT_MS);
  const types = eventTypesOf(projections);
  let batch: RecordedEvent[] = [];
  for await (const event of eventStore.readAll({ tenantId: scope.tenantId, types, batchSize: BATCH })) {
    if (after(event)) break;
    if (!(await mine(event))) continue;
    batch.push(event);
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

const BATCH = 5000;
const VISIBILITY_WAIT_MS = 10_000;

export interface ReplayScope {
  tenantId: string;
  asOf: AsOf;
  /** The projections to replay: every table they write stands in for the live one. */
  projections: readonly AnyProjection[];
  /** Replays this one stream (a single resource) instead of the tenant's whole log. */
  streamId?: string;
  /** A client-scoped reader's: only its client's events are replayed, so nothing else is there to be read. */
  reader?: ClientScope;
}

/** The moment a position stands for: when the tenant's last event at or before it was recorded. */
async function timeOf(eventStore: EventStore, tenantId: string, position: Position): Promise<string> {
  if (eventStore.recordedAtOrBefore)
    return (await eventStore.recordedAtOrBefore(position, { tenantId })) ?? new Date(0).toISOString();
  let at = new Date(0).toISOString();
  for await (const event of eventStore.readAll({ tenantId, batchSize: 5000 })) {
    if (comparePositions(event.position, position) > 0) break;
    at = event.metadata.recordedAt;
  }
  return at;
}

/**
 * Runs `query` over the read models as they were at a moment. The projections' own code replays the tenant's events
 * up to then into temporary tables that stand in for the live ones for this transaction only (PostgreSQL looks in
 * pg_temp before the ledger's schema), so the query is the very SQL that reads the live state. Nothing is shared
 * with other requests and nothing outlives the transaction. The query runs as ledger_app under the tenant, like
 * every read: tables not replayed stay behind row-level security. Memory holds one batch at a time on a server.
 */
export async function atMoment<T, DB = unknown>(
  database: Database,
  eventStore: EventStore,
  scope: ReplayScope,
  /** Reads through `trx` as through the live read models: typed as the caller reads them (`DB`). */
  query: (trx: Transaction<DB>, moment: Replayed) => Promise<T>,
): Promise<T> {
  const { tenantId, asOf, projections } = scope;
  const at = asOf.kind === 'time' ? asOf.time : await timeOf(eventStore, tenantId, asOf.position);
  // On a server the log streams in, batch by batch, while the transaction fills the tables. The embedded database
  // has one connection, which the transaction holds: there the events are read first.
  const preloaded = database.kind === 'pglite' ? await collect(eventsUpTo(eventStore, scope)) : null;
  return database.db.transaction().execute(async (trx) => {
    for (const table of new Set(projections.flatMap((p) => p.tables))) {
      await sql`create temporary table ${sql.id(table)} (like ${sql.table(`${database.schema}.${table}`)} including defaults including constraints including indexes) on commit drop`.execute(
        trx,
      );
      await sql`grant select, insert, update, delete on pg_temp.${sql.id(table)} to ledger_app`.execute(trx);
    }
    await readAs(trx, { tenantId, clientId: scope.reader?.clientId ?? null });
    const temporary = (name: string): string => `pg_temp.${name}`;
    let events = 0;
    let last: RecordedEvent | undefined;
    for await (const batch of preloaded ?? eventsUpTo(eventStore, scope)) {
      for (const projection of projections) {
        await applyAll(projection, trx, batch, temporary);
      }
      events += batch.length;
      last = batch[batch.length - 1];
    }
    const moment: Replayed = {
      at,
      position: asOf.kind === 'position' ? asOf.position : (last?.position ?? null),
      events,
    };
    return query(trx as Transaction<DB>, moment);
  });
}

async function collect<T>(batches: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const batch of batches) all.push(batch);
  return all;
}
