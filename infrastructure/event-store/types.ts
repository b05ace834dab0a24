import type { Position } from './position.js';

/** What a caller expects of a stream's current state when appending to it. */
export type ExpectedRevision =
  | 'no_stream' // the stream must not exist yet
  | 'stream_exists' // the stream must have at least one event
  | 'any' // no expectation
  | number; // the revision of the stream's last event (0-based)

/** Who did it and why: required on every event. The store adds the timestamp and the hash chain. */
export interface EventContext {
  tenantId: string;
  actorId: string;
  correlationId: string;
  causationId?: string | null;
}

export interface NewEvent<Type extends string = string, Data = unknown> {
  /** A UUID; generated when omitted. Re-using an id is rejected, which makes blind retries safe. */
  id?: string;
  type: Type;
  schemaVersion?: number;
  data: Data;
  metadata: EventContext & Record<string, unknown>;
}

/** Metadata as it is hashed: everything but the hash itself. */
export interface UnsealedMetadata extends Record<string, unknown> {
  tenantId: string;
  actorId: string;
  correlationId: string;
  causationId: string | null;
  /** ISO 8601, UTC, set by the store when the event was appended. */
  recordedAt: string;
  /** SHA-256 (hex) of the previous event in the same stream; 64 zeros for the first one. */
  previousHash: string;
}

export interface EventMetadata extends UnsealedMetadata {
  /** SHA-256 (hex) of this event's canonical content, previousHash included. */
  hash: string;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: string;
  streamId: string;
  /** 0-based index of the event in its stream. */
  revision: number;
  position: Position;
  type: Type;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
}

export interface AppendResult {
  /** The revision of the last event written: pass it as the expected revision of the next append. */
  nextExpectedRevision: number;
  /** The global position of the last event written. */
  position: Position;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive. Forwards: the first revision returned; backwards: the highest. */
  fromRevision?: number;
  /** Inclusive upper bound on revision (point-in-time reads). */
  toRevision?: number;
  /** Inclusive upper bound on the recorded time (point-in-time reads). */
  toTime?: Date;
  maxCount?: number;
}

export interface LogFilter {
  /** Only events of streams that belong to this tenant. */
  tenantId?: string;
  /** Only events of these types. */
  types?: readonly string[];
}

export interface ReadAllOptions extends LogFilter {
  /** Exclusive: events after this position. Defaults to the start of the log. */
  from?: Position;
  /** Events fetched per round trip. */
  batchSize?: number;
  /** Stop after this many events. */
  maxCount?: number;
}

export interface SubscribeOptions extends LogFilter {
  /** Exclusive: deliver events after this position. Defaults to the start of the log. */
  from?: Position;
  batchSize?: number;
}

export type SubscriptionMessage =
  | { kind: 'event'; event: RecordedEvent }
  /** Emitted each time the subscription has delivered everything visible so far. */
  | { kind: 'caught-up'; position: Position };

export interface Subscription extends AsyncIterable<SubscriptionMessage> {
  /** Ends the iteration and releases its resources. */
  close(): Promise<void>;
}

/**
 * The event store port. Everything else in the ledger talks to this interface; adapters for PostgreSQL (server or
 * embedded PGlite) and EventStoreDB pass the same contract suite (test/contract/event-store.contract.ts).
 */
export interface EventStore {
  /** Appends atomically. Throws WrongExpectedRevisionError when the expectation fails. */
  append(
    streamId: string,
    events: readonly NewEvent[],
    options?: { expectedRevision?: ExpectedRevision },
  ): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Several streams, each forwards from its own revision (or its start), in one round trip: what readStream gives for
   * each, in the order asked. Optional: callers without it read the streams one by one.
   */
  readStreams?(reads: readonly { streamId: string; fromRevision?: number }[]): Promise<RecordedEvent[][]>;
  /** Reads the global log in order, fetching in batches. Ends at the last event visible when it gets there. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Follows the global log: delivers each event once, in order, and keeps going after it has caught up. */
  subscribe(options?: SubscribeOptions): Subscription;
  /** The position of the last visible event, or START for an empty log. */
  headPosition(): Promise<Position>;
  /** How many visible events match, where the store can tell cheaply (progress bars); absent otherwise. */
  countEvents?(filter?: LogFilter): Promise<number>;
  /**
   * When the last event at or before a position was recorded (of one tenant, if given): the moment a position stands
   * for. Optional: callers without it scan the log.
   */
  recordedAtOrBefore?(position: Position, filter?: Pick<LogFilter, 'tenantId'>): Promise<string | null>;
  /**
   * Waits (up to `timeoutMs`) until every event at or before `position` is visible to readers of the log: a store
   * that shows the log only below the oldest open transaction (PostgreSQL's) may still hide a committed position
   * while an older transaction elsewhere is open. Answers whether it is visible now; stores without such a horizon
   * need not have it.
   */
  visibleThrough?(position: Position, timeoutMs: number): Promise<boolean>;
  /**
   * Events appended and committed that readers cannot see yet, because an older transaction is still open (see the
   * PostgreSQL adapter), and when the oldest of them was recorded. Optional: stores without such a state lack it.
   */
  heldBack?(): Promise<HeldBack>;
  close(): Promise<void>;
}

export interface HeldBack {
  events: number;
  oldestRecordedAt: string | null;
}

/** The append's expectation did not hold: somebody else wrote first. The APIs answer 409. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's revision when the append was tried; 'no_stream' if it did not exist. */
    readonly actual: number | 'no_stream' | 'unknown',
  ) {
    super(`Stream ${streamId}: expected revision ${String(expected)}, found ${String(actual)}`);
  }
}

/** An append was refused because an event breaks a rule of the store itself (not a concurrency conflict). */
export class InvalidAppendError extends Error {
  override readonly name = 'InvalidAppendError';
}

/** Throws WrongExpectedRevisionError unless a stream at `actual` meets the expectation. Shared by every adapter. */
export function assertExpectedRevision(
  streamId: string,
  expected: ExpectedRevision,
  actual: number | 'no_stream',
): void {
  const met =
    expected === 'any' ||
    (expected === 'no_stream' && actual === 'no_stream') ||
    (expected === 'stream_exists' && actual !== 'no_stream') ||
    expected === actual;
  if (!met) throw new WrongExpectedRevisionError(streamId, expected, actual);
}
