import type { Transaction } from 'kysely';
import type { DomainEvent } from '../domain/decider.js';
import type { RecordedEvent } from '../infrastructure/event-store/types.js';

/** A recorded event of one of the domain's event types, typed by its type: `switch (event.type)` narrows its data. */
export type RecordedOf<E extends DomainEvent> = E extends DomainEvent<infer T, infer D> ? RecordedEvent<T, D> : never;

/**
 * A projection: read-model changes from events, with a name and a version. It declares the event types it handles as
 * a typed list of its events' types, so that a renamed event breaks the build. `apply` runs inside the batch's
 * transaction; it must only write through the transaction it is given, never send anything anywhere.
 */
export interface Projection<E extends DomainEvent = DomainEvent> {
  name: string;
  /** Bumped when what the projection writes changes: a new version rebuilds from the start on deploy. */
  version: number;
  /** The event types it reads (the log is filtered to them), or every event. */
  canHandle: readonly E['type'][] | 'every event';
  /** The tables it writes, all of them: a rebuild fills shadow copies and swaps them in. */
  tables: readonly string[];
  /**
   * Applies a batch of its events, in log order. `table(name)` is the table to write: the live one, its shadow copy
   * during a rebuild, or a temporary stand-in for a point-in-time read. Rows are found by their primary or a unique
   * key: a rebuild fills its shadows without the other indexes and builds those at the end.
   */
  apply(trx: Transaction<unknown>, events: readonly RecordedOf<E>[], table: (name: string) => string): Promise<void>;
}

/** Any projection, whatever its events. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProjection = Projection<any>;

/** The event types a set of projections reads; undefined when one of them reads every event. */
export function eventTypesOf(projections: readonly AnyProjection[]): string[] | undefined {
  if (projections.some((p) => p.canHandle === 'every event')) return undefined;
  return [...new Set(projections.flatMap((p) => p.canHandle as readonly string[]))];
}

export function handles(projection: AnyProjection, event: RecordedEvent): boolean {
  return projection.canHandle === 'every event' || (projection.canHandle as readonly string[]).includes(event.type);
}

/** Applies the events a projection handles, in order. */
export async function applyAll(
  projection: AnyProjection,
  trx: Transaction<unknown>,
  events: readonly RecordedEvent[],
  table: (name: string) => string,
): Promise<void> {
  const mine = events.filter((event) => handles(projection, event));
  if (mine.length > 0) await projection.apply(trx, mine as never, table);
}

export const liveTable = (name: string): string => name;

/** The aggregate id at the end of a stream id ("<tenant>/client/<id>" → "<id>"). */
export const aggregateIdOf = (streamId: string): string => streamId.slice(streamId.lastIndexOf('/') + 1);

export const checkpointName = (projection: Pick<AnyProjection, 'name' | 'version'>): string =>
  `projection:${projection.name}:v${projection.version}`;
