import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../database/database.js';
import { GENESIS_HASH, sealEvents, type SealedEvent } from '../hash-chain.js';
import { START, makePosition, positionParts, type Position } from '../position.js';
import { pollingSubscription } from '../subscription.js';
import {
  InvalidAppendError,
  WrongExpectedRevisionError,
  assertExpectedRevision,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type HeldBack,
  type LogFilter,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type Subscription,
  type SubscribeOptions,
} from '../types.js';

interface EventRow {
  transaction_text: string;
  global_position: number;
  event_id: string;
  stream_id: string;
  stream_revision: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
}

export interface PostgresEventStoreOptions {
  /** Clock for recordedAt; injectable so tests can write history "in the past". */
  now?: () => Date;
  /** How often a subscriber re-reads when no notification came (covers transactions ending without inserting). */
  pollIntervalMs?: number;
  /**
   * Shortest time between two reads of a subscriber woken by appends (default 10 ms): each read then takes what
   * several appends wrote, instead of every append costing every subscriber a query (pollingSubscription).
   */
  minReadIntervalMs?: number;
}

// The transaction id travels as text (an xid8 is 64 bits) under another name than the column's: an ORDER BY of
// `transaction_id` would otherwise sort by that text alias, putting transaction 10000 before 9999.
const COLUMNS = sql`transaction_id::text as transaction_text, global_position, event_id, stream_id, stream_revision, type, schema_version, data, metadata`;
// Only rows of transactions that have all finished: nothing can commit behind a reader that follows this rule.
const VISIBLE = sql`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`;

/** The event store on PostgreSQL: a server through `pg`, or embedded PGlite. See migrations/0001_event_store.ts. */
export class PostgresEventStore implements EventStore {
  private readonly now: () => Date;
  private readonly pollIntervalMs: number;
  private readonly minReadIntervalMs: number;
  /** Last known revision and hash of recently used streams: lets most appends be one statement (see fastAppend). */
  private readonly heads = new StreamHeads(10_000);
  private readonly channel: string;
  private notifying: Promise<void> | undefined;
  private notifyAgain = false;

  constructor(
    private readonly database: Database,
    options: PostgresEventStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.minReadIntervalMs = options.minReadIntervalMs ?? 10;
    this.channel = `ledger_events_${database.schema}`;
  }

  /**
   * Wakes subscribers (in every process) after events were committed. Coalesced: at most one NOTIFY in flight, plus
   * one more for whatever committed meanwhile. Callers of appendWithin call it after their own commit; if they do not,
   * subscribers still find the events on their next poll.
   */
  notifyAppended(): void {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = sql`select pg_notify(${this.channel}, '')`
      .execute(this.database.db)
      .then(
        () => undefined,
        () => undefined, // best effort: polling covers a lost wake-up
      )
      .finally(() => {
        this.notifying = undefined;
        if (this.notifyAgain) {
          this.notifyAgain = false;
          this.notifyAppended();
        }
      });
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const fast = await this.fastAppend(this.database.db, streamId, events, options.expectedRevision ?? 'any');
    if (fast) {
      this.notifyAppended();
      return fast;
    }
    // A transaction of its own; on a concurrent creation of the same stream with 'any', or behind a writer that
    // started later, try again (a new transaction).
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.database.db
          .transaction()
          .execute((trx) => this.appendWithin(trx, streamId, events, options));
        this.notifyAppended();
        return result;
      } catch (error) {
        if (error instanceof StreamCreatedConcurrently && attempt < 5) continue;
        throw error;
      }
    }
  }

  /**
   * Appends inside a transaction the caller owns, so that other writes (an idempotency record, say) commit or roll
   * back with the events.
   */
  async appendWithin(
    trx: Transaction<unknown> | Kysely<unknown>,
    streamId: string,
    events: readonly NewEvent[],
    { expectedRevision = 'any' }: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    if (events.length === 0) throw new InvalidAppendError('An append needs at least one event');
    const head = (
      await sql<{ revision: number; last_hash: string }>`
        select revision, last_hash from streams where stream_id = ${streamId} for update`.execute(trx)
    ).rows[0];
    const actual = head ? Number(head.revision) : 'no_stream';
    assertExpectedRevision(streamId, expectedRevision, actual);
    if (typeof actual === 'number' && (await this.startedBefore(trx, streamId, actual))) {
      // This transaction took its id before the one that wrote the head: its events would sit before the head's in
      // the log (ordered by transaction id) with higher revisions, and the chain read in log order would break.
      // Again, in a new transaction (a newer id).
      if (expectedRevision === 'any') throw new StreamCreatedConcurrently();
      throw new WrongExpectedRevisionError(streamId, expectedRevision, actual);
    }

    const firstRevision = typeof actual === 'number' ? actual + 1 : 0;
    const sealed = sealEvents(streamId, events, firstRevision, head?.last_hash ?? GENESIS_HASH, this.now());
    const last = sealed[sealed.length - 1]!;
    const tenantId = last.metadata.tenantId;

    if (head) {
      await sql`update streams set revision = ${last.revision}, last_hash = ${last.metadata.hash} where stream_id = ${streamId}`.execute(
        trx,
      );
    } else {
      const created = await sql`
        insert into streams (stream_id, tenant_id, revision, last_hash)
        values (${streamId}, ${tenantId}, ${last.revision}, ${last.metadata.hash})
        on conflict (stream_id) do nothing returning stream_id`.execute(trx);
      if (created.rows.length === 0) {
        if (expectedRevision === 'any') throw new StreamCreatedConcurrently();
        throw new WrongExpectedRevisionError(streamId, expectedRevision, 'unknown');
      }
    }

    const { rows } = await sql<InsertedRow>`
      insert into events (${EVENT_COLUMNS}) select * from (${eventValues(sealed)}) as v
      returning transaction_id::text as transaction_text, global_position`
      .execute(trx)
      .catch(duplicateIdError);
    this.heads.set(streamId, { revision: last.revision, hash: last.metadata.hash });
    return { nextExpectedRevision: last.revision, position: lastPosition(rows) };
  }

  /** Whether this transaction's id is older than that of the transaction that wrote the stream's head. */
  private async startedBefore(
    trx: Transaction<unknown> | Kysely<unknown>,
    streamId: string,
    revision: number,
  ): Promise<boolean> {
    const { rows } = await sql<{ before: boolean }>`
      select transaction_id > pg_current_xact_id() as before from events
      where stream_id = ${streamId} and stream_revision = ${revision}`.execute(trx);
    return rows[0]?.before === true;
  }

  /**
   * The common case in one statement, one round trip: the caller expects a new stream, or the revision we last saw
   * the stream at. The statement moves the stream head only if it still is where we think, and inserts the events
   * only if it did. When it writes nothing, the transactional path finds out why (a conflict, or a stale cache).
   */
  private async fastAppend(
    executor: Kysely<unknown>,
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult | undefined> {
    let head: StreamHead | undefined;
    if (expected !== 'no_stream') {
      head = this.heads.get(streamId);
      if (!head || (typeof expected === 'number' && expected !== head.revision)) return undefined;
    }
    if (events.length === 0) return undefined;
    const sealed = sealEvents(streamId, events, head ? head.revision + 1 : 0, head?.hash ?? GENESIS_HASH, this.now());
    const last = sealed[sealed.length - 1]!;
    const moveHead = head
      ? sql`update streams set revision = ${last.revision}, last_hash = ${last.metadata.hash}
            where stream_id = ${streamId} and revision = ${head.revision} and last_hash = ${head.hash} returning 1`
      : sql`insert into streams (stream_id, tenant_id, revision, last_hash)
            values (${streamId}, ${last.metadata.tenantId}, ${last.revision}, ${last.metadata.hash})
            on conflict (stream_id) do nothing returning 1`;
    const { rows } = await sql<InsertedRow>`
      with head as (${moveHead})
      insert into events (${EVENT_COLUMNS}) select * from (${eventValues(sealed)}) as v where exists (select 1 from head)
      returning transaction_id::text as transaction_text, global_position`
      .execute(executor)
      .catch(duplicateIdError);
    if (rows.length === 0) {
      this.heads.delete(streamId);
      return undefined;
    }
    this.heads.set(streamId, { revision: last.revision, hash: last.metadata.hash });
    return { nextExpectedRevision: last.revision, position: lastPosition(rows) };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const conditions = [sql`stream_id = ${streamId}`];
    if (options.fromRevision !== undefined)
      conditions.push(
        backwards ? sql`stream_revision <= ${options.fromRevision}` : sql`stream_revision >= ${options.fromRevision}`,
      );
    if (options.toRevision !== undefined) conditions.push(sql`stream_revision <= ${options.toRevision}`);
    if (options.toTime !== undefined) conditions.push(sql`recorded_at <= ${options.toTime.toISOString()}::timestamptz`);
    const { rows } = await sql<EventRow>`
      select ${COLUMNS} from events
      where ${sql.join(conditions, sql` and `)}
      order by stream_revision ${backwards ? sql`desc` : sql`asc`}
      ${options.maxCount !== undefined ? sql`limit ${options.maxCount}` : sql``}`.execute(this.database.db);
    const events = rows.map(toRecorded);
    // A read that reached the end of the stream tells us its head: the append that usually follows can be fast.
    const reachedEnd =
      options.toRevision === undefined &&
      options.toTime === undefined &&
      (backwards ? options.fromRevision === undefined : options.maxCount === undefined);
    const newest = backwards ? events[0] : events[events.length - 1];
    if (reachedEnd && newest) this.heads.set(streamId, { revision: newest.revision, hash: newest.metadata.hash });
    return events;
  }

  async readStreams(reads: readonly { streamId: string; fromRevision?: number }[]): Promise<RecordedEvent[][]> {
    if (reads.length === 0) return [];
    const ids = reads.map((r) => r.streamId);
    const froms = reads.map((r) => r.fromRevision ?? 0);
    const { rows } = await sql<EventRow & { ord: number }>`
      select r.ord, ${COLUMNS} from unnest(${ids}::text[], ${froms}::bigint[]) with ordinality as r(wanted, from_revision, ord)
      join events on events.stream_id = r.wanted and events.stream_revision >= r.from_revision
      order by r.ord, events.stream_revision`.execute(this.database.db);
    const result: RecordedEvent[][] = reads.map(() => []);
    for (const row of rows) result[Number(row.ord) - 1]!.push(toRecorded(row));
    result.forEach((events, i) => {
      const newest = events[events.length - 1];
      if (newest) this.heads.set(reads[i]!.streamId, { revision: newest.revision, hash: newest.metadata.hash });
    });
    return result;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const batchSize = options.batchSize ?? 500;
    let remaining = options.maxCount ?? Infinity;
    let from = options.from ?? START;
    while (remaining > 0) {
      const batch = await this.readBatch(from, Math.min(batchSize, remaining), options);
      for (const event of batch) yield event;
      if (batch.length < Math.min(batchSize, remaining)) return;
      remaining -= batch.length;
      from = batch[batch.length - 1]!.position;
    }
  }

  /** Visible events after `from`, in global order. */
  async readBatch(from: Position, limit: number, filter: LogFilter = {}): Promise<RecordedEvent[]> {
    const [transactionId, globalPosition] = positionParts(from);
    const conditions = [
      VISIBLE,
      sql`(transaction_id, global_position) > (${transactionId.toString()}::xid8, ${globalPosition.toString()}::bigint)`,
    ];
    if (filter.tenantId !== undefined) conditions.push(sql`tenant_id = ${filter.tenantId}`);
    if (filter.types !== undefined) conditions.push(sql`type = any(${[...filter.types]}::text[])`);
    const { rows } = await sql<EventRow>`
      select ${COLUMNS} from events
      where ${sql.join(conditions, sql` and `)}
      order by transaction_id, global_position
      limit ${limit}`.execute(this.database.db);
    return rows.map(toRecorded);
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const channel = this.channel;
    return pollingSubscription({
      from: options.from ?? START,
      batchSize: options.batchSize ?? 500,
      pollIntervalMs: this.pollIntervalMs,
      minReadIntervalMs: this.minReadIntervalMs,
      readBatch: (from, limit) => this.readBatch(from, limit, options),
      listen: (wake) => this.database.listen(channel, wake),
    });
  }

  async countEvents(filter: LogFilter = {}): Promise<number> {
    const conditions = [VISIBLE];
    if (filter.tenantId !== undefined) conditions.push(sql`tenant_id = ${filter.tenantId}`);
    if (filter.types !== undefined) conditions.push(sql`type = any(${[...filter.types]}::text[])`);
    const { rows } = await sql<{
      count: string;
    }>`select count(*)::text as count from events where ${sql.join(conditions, sql` and `)}`.execute(this.database.db);
    return Number(rows[0]!.count);
  }

  async visibleThrough(position: Position, timeoutMs: number): Promise<boolean> {
    const [transactionId] = positionParts(position);
    const deadline = performance.now() + timeoutMs;
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      const { rows } = await sql<{ visible: boolean }>`
        select ${transactionId.toString()}::xid8 < pg_snapshot_xmin(pg_current_snapshot()) as visible`.execute(
        this.database.db,
      );
      if (rows[0]!.visible) return true;
      if (performance.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async recordedAtOrBefore(position: Position, filter: Pick<LogFilter, 'tenantId'> = {}): Promise<string | null> {
    const [transactionId, globalPosition] = positionParts(position);
    const { rows } = await sql<{ recorded_at: Date | string }>`
      select recorded_at from events
      where ${VISIBLE} and (transaction_id, global_position) <= (${transactionId.toString()}::xid8, ${globalPosition.toString()}::bigint)
        ${filter.tenantId === undefined ? sql`` : sql`and tenant_id = ${filter.tenantId}`}
      order by transaction_id desc, global_position desc limit 1`.execute(this.database.db);
    return rows[0] ? new Date(rows[0].recorded_at).toISOString() : null;
  }

  /**
   * The other side of the visibility rule: rows committed by transactions at or after the oldest one still open
   * anywhere on the server. A moment's worth is normal under concurrent appends; a growing number and age mean a
   * long-open transaction is holding the log back from every reader.
   */
  async heldBack(): Promise<HeldBack> {
    const { rows } = await sql<{ events: number; oldest: Date | string | null }>`
      select count(*)::int as events, min(recorded_at) as oldest from events
      where transaction_id >= pg_snapshot_xmin(pg_current_snapshot())`.execute(this.database.db);
    const row = rows[0]!;
    return { events: row.events, oldestRecordedAt: row.oldest === null ? null : new Date(row.oldest).toISOString() };
  }

  async headPosition(): Promise<Position> {
    const { rows } = await sql<{ transaction_text: string; global_position: number }>`
      select transaction_id::text as transaction_text, global_position from events where ${VISIBLE}
      order by transaction_id desc, global_position desc limit 1`.execute(this.database.db);
    const row = rows[0];
    return row ? makePosition(BigInt(row.transaction_text), BigInt(row.global_position)) : START;
  }

  /** The store does not own the database: whoever opened it closes it. This waits for a pending NOTIFY. */
  async close(): Promise<void> {
    await this.notifying;
  }
}

class StreamCreatedConcurrently extends Error {}

interface InsertedRow {
  transaction_text: string;
  global_position: number;
}

const EVENT_COLUMNS = sql.raw(
  'event_id, stream_id, stream_revision, tenant_id, type, schema_version, data, metadata, recorded_at',
);

function eventValues(sealed: SealedEvent[]) {
  const rows = sealed.map(
    (
      event,
    ) => sql`(${event.id}::uuid, ${event.streamId}::text, ${event.revision}::bigint, ${event.metadata.tenantId}::text, ${event.type}::text,
      ${event.schemaVersion}::integer, ${JSON.stringify(event.data)}::jsonb, ${JSON.stringify(event.metadata)}::jsonb, ${event.metadata.recordedAt}::timestamptz)`,
  );
  return sql`values ${sql.join(rows)}`;
}

function lastPosition(rows: InsertedRow[]): Position {
  const last = rows.reduce((a, b) => (Number(b.global_position) > Number(a.global_position) ? b : a));
  return makePosition(BigInt(last.transaction_text), BigInt(last.global_position));
}

function duplicateIdError(error: unknown): never {
  if (isUniqueViolation(error, 'events_event_id_unique')) {
    throw new InvalidAppendError('An event with one of these ids has already been appended', { cause: error });
  }
  throw error;
}

interface StreamHead {
  revision: number;
  hash: string;
}

/** A small LRU map of stream heads. Only a hint: every write still checks the head in the database. */
class StreamHeads {
  private readonly entries = new Map<string, StreamHead>();
  constructor(private readonly capacity: number) {}

  get(streamId: string): StreamHead | undefined {
    return this.entries.get(streamId);
  }

  set(streamId: string, head: StreamHead): void {
    this.entries.delete(streamId);
    this.entries.set(streamId, head);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(streamId: string): void {
    this.entries.delete(streamId);
  }
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    revision: Number(row.stream_revision),
    position: makePosition(BigInt(row.transaction_text), BigInt(row.global_position)),
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
  };
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string; message?: string } | undefined;
  return e?.code === '23505' && (e.constraint === constraint || (e.message ?? '').includes(constraint));
}
