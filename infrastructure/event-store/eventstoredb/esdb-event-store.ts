import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START as ESDB_START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type JSONType,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { GENESIS_HASH, sealEvents } from '../hash-chain.js';
import { START, comparePositions, makePosition, positionParts, type Position } from '../position.js';
import { pollingSubscription } from '../subscription.js';
import {
  InvalidAppendError,
  WrongExpectedRevisionError,
  assertExpectedRevision,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type LogFilter,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type Subscription,
  type SubscribeOptions,
} from '../types.js';

export interface EsdbEventStoreOptions {
  now?: () => Date;
  /** Slow re-read interval; the live subscription wakes readers as soon as something is written. */
  pollIntervalMs?: number;
}

/** How many times an append with 'any' or 'stream_exists' re-reads the head after losing a race. */
const CHAIN_RETRIES = 10;

type StoredMetadata = EventMetadata & { schemaVersion?: number };

/**
 * The event store on EventStoreDB (production). Positions are the server's (commit, prepare) pair, which EventStoreDB
 * assigns at commit, so the global log has no gaps to guard against.
 *
 * The hash chain needs the previous event's hash, so each append reads the stream's head and then appends at that
 * exact revision; an expectation of 'any' or 'stream_exists' retries when another writer got in between.
 */
export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly now: () => Date;
  private readonly pollIntervalMs: number;

  constructor(connectionString: string, options: EsdbEventStoreOptions = {}) {
    this.client = EventStoreDBClient.connectionString(connectionString);
    this.now = options.now ?? (() => new Date());
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    { expectedRevision = 'any' }: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    if (events.length === 0) throw new InvalidAppendError('An append needs at least one event');
    for (let attempt = 0; ; attempt++) {
      const [head] = await this.readStream(streamId, { direction: 'backwards', maxCount: 1 });
      assertExpectedRevision(streamId, expectedRevision, head ? head.revision : 'no_stream');

      const sealed = sealEvents(
        streamId,
        events,
        head ? head.revision + 1 : 0,
        head?.metadata.hash ?? GENESIS_HASH,
        this.now(),
      );
      try {
        const result = await this.client.appendToStream(
          streamId,
          sealed.map((event) =>
            jsonEvent({
              id: event.id,
              type: event.type,
              data: event.data as JSONType,
              metadata: { ...event.metadata, schemaVersion: event.schemaVersion },
            }),
          ),
          { expectedRevision: head ? BigInt(head.revision) : 'no_stream' },
        );
        if (!result.position) throw new Error('EventStoreDB did not return the position of the append');
        return {
          nextExpectedRevision: Number(result.nextExpectedRevision),
          position: makePosition(result.position.commit, result.position.prepare),
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        const retriable = expectedRevision === 'any' || (expectedRevision === 'stream_exists' && head);
        if (!retriable || attempt >= CHAIN_RETRIES) {
          throw new WrongExpectedRevisionError(
            streamId,
            expectedRevision,
            typeof error.actualVersion === 'bigint' ? Number(error.actualVersion) : 'unknown',
          );
        }
      }
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    const max = options.maxCount ?? Infinity;
    try {
      const read = this.client.readStream(streamId, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision !== undefined ? BigInt(options.fromRevision) : backwards ? END : ESDB_START,
      });
      for await (const resolved of read) {
        const event = toRecorded(resolved);
        if (!event) continue;
        const tooLate =
          (options.toRevision !== undefined && event.revision > options.toRevision) ||
          (options.toTime !== undefined && new Date(event.metadata.recordedAt) > options.toTime);
        if (tooLate) {
          if (backwards) continue;
          break; // forwards, everything after is later still
        }
        events.push(event);
        if (events.length >= max) break;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const batchSize = options.batchSize ?? 500;
    let remaining = options.maxCount ?? Infinity;
    let from = options.from ?? START;
    while (remaining > 0) {
      const { events, scannedTo } = await this.scan(from, Math.min(batchSize, remaining), options);
      for (const event of events) yield event;
      remaining -= events.length;
      if (!scannedTo) return;
      from = scannedTo;
    }
  }

  /**
   * Reads $all after `from` until `limit` events pass the filter. `scannedTo` is where to go on from, or undefined
   * at the end of the log. Tenant and type filters are applied here: this client's readAll has no server-side filter.
   */
  private async scan(
    from: Position,
    limit: number,
    filter: LogFilter,
  ): Promise<{ events: RecordedEvent[]; scannedTo?: Position }> {
    const events: RecordedEvent[] = [];
    let cursor = from;
    const page = Math.max(limit, 200);
    for (;;) {
      const [commit, prepare] = positionParts(cursor);
      let seen = 0;
      for await (const resolved of this.client.readAll({
        fromPosition: cursor === START ? ESDB_START : { commit, prepare },
        direction: FORWARDS,
        maxCount: page + 1,
      })) {
        const event = resolved.event;
        if (!event) continue;
        const position = makePosition(event.position.commit, event.position.prepare);
        if (comparePositions(position, cursor) <= 0) continue; // reads start at `from` inclusive
        seen++;
        cursor = position;
        const recorded = toRecorded(resolved);
        if (recorded && matches(recorded, filter)) {
          events.push(recorded);
          if (events.length >= limit) return { events, scannedTo: cursor };
        }
      }
      if (seen === 0) return { events };
    }
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    return pollingSubscription({
      from: options.from ?? START,
      batchSize: options.batchSize ?? 500,
      pollIntervalMs: this.pollIntervalMs,
      readBatch: async (from, limit) => (await this.scan(from, limit, options)).events,
      listen: async (wake) => {
        // A live subscription from the end is only a doorbell: every event is read (and ordered) by readBatch.
        const live = this.client.subscribeToAll({ fromPosition: END, filter: excludeSystemEvents() });
        live.on('data', wake);
        live.on('error', wake);
        return async () => void (await live.unsubscribe().catch(() => {}));
      },
    });
  }

  async headPosition(): Promise<Position> {
    for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 100 })) {
      if (resolved.event && !resolved.event.type.startsWith('$') && !resolved.event.streamId.startsWith('$')) {
        return makePosition(resolved.event.position.commit, resolved.event.position.prepare);
      }
    }
    return START;
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}

function matches(event: RecordedEvent, filter: LogFilter): boolean {
  if (filter.tenantId !== undefined && !event.streamId.startsWith(`${filter.tenantId}/`)) return false;
  if (filter.types !== undefined && !filter.types.includes(event.type)) return false;
  return true;
}

function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || !event.isJson || event.type.startsWith('$') || event.streamId.startsWith('$')) return undefined;
  const { schemaVersion, ...metadata } = event.metadata as StoredMetadata;
  if (typeof metadata.hash !== 'string') return undefined; // not written by the ledger
  return {
    id: event.id,
    streamId: event.streamId,
    revision: Number(event.revision),
    position: event.position ? makePosition(event.position.commit, event.position.prepare) : START,
    type: event.type,
    schemaVersion: schemaVersion ?? 1,
    data: event.data,
    metadata: metadata as EventMetadata,
  };
}
