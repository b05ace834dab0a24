import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../infrastructure/database/database.js';
import { comparePositions, parsePosition, START, type Position } from '../infrastructure/event-store/position.js';
import type { EventStore, RecordedEvent, Subscription } from '../infrastructure/event-store/types.js';
import type { Logger } from '../infrastructure/logging/logger.js';
import { asProjection } from '../infrastructure/read-models/tenant-scope.js';
import { rebuildProjection } from './rebuild.js';

/**
 * A projection: read-model changes from events, with a name and a version. `apply` runs inside the batch's
 * transaction; it must only write through the transaction it is given, never send anything anywhere.
 */
export interface Projection {
  name: string;
  /** Bumped when what the projection writes changes: a new version rebuilds from the start on deploy. */
  version: number;
  /** The event types it reads (the log is filtered to them); absent for every event. */
  types?: readonly string[];
  /** The tables it writes, all of them: a rebuild fills shadow copies and swaps them in. */
  tables: readonly string[];
  /**
   * `table(name)` is the table to write: the live one, or its shadow copy during a rebuild. Rows are found by their
   * primary or a unique key: a rebuild fills its shadows without the other indexes and builds those at the end.
   */
  apply(trx: Transaction<unknown>, event: RecordedEvent, table: (name: string) => string): Promise<void>;
  /** The same as applying each event in order, in fewer statements (multi-row inserts): what rebuilds use. */
  applyBatch?(
    trx: Transaction<unknown>,
    events: readonly RecordedEvent[],
    table: (name: string) => string,
  ): Promise<void>;
}

/** Applies events in order, through applyBatch where the projection has one. */
export async function applyAll(
  projection: Projection,
  trx: Transaction<unknown>,
  events: readonly RecordedEvent[],
  table: (name: string) => string,
): Promise<void> {
  if (events.length === 0) return;
  if (projection.applyBatch) return projection.applyBatch(trx, events, table);
  for (const event of events) await projection.apply(trx, event, table);
}

export const liveTable = (name: string): string => name;

/** The aggregate id at the end of a stream id ("<tenant>/client/<id>" → "<id>"). */
export const aggregateIdOf = (streamId: string): string => streamId.slice(streamId.lastIndexOf('/') + 1);

export const checkpointName = (projection: Pick<Projection, 'name' | 'version'>): string =>
  `projection:${projection.name}:v${projection.version}`;

export async function readCheckpoint(db: Kysely<unknown>, name: string): Promise<Position | null> {
  const { rows } = await sql<{ position: string }>`select position from checkpoints where name = ${name}`.execute(db);
  return rows[0] ? parsePosition(rows[0].position) : null;
}

/** Reads the checkpoint and holds its row until the transaction ends. */
export async function lockCheckpoint(trx: Transaction<unknown>, name: string): Promise<Position | null> {
  await sql`insert into checkpoints (name, position) values (${name}, ${START}) on conflict (name) do nothing`.execute(
    trx,
  );
  const { rows } = await sql<{
    position: string;
  }>`select position from checkpoints where name = ${name} for update`.execute(trx);
  const position = parsePosition(rows[0]!.position);
  return position === START ? null : position;
}

export async function saveCheckpoint(trx: Transaction<unknown>, name: string, position: Position): Promise<void> {
  await sql`
    insert into checkpoints (name, position, updated_at) values (${name}, ${position}, now())
    on conflict (name) do update set position = excluded.position, updated_at = now()`.execute(trx);
}

export interface RunnerOptions {
  eventStore: EventStore;
  database: Database;
  projection: Projection;
  logger: Logger;
  batchSize?: number;
  /** Called after each committed batch (tests, metrics). */
  onCommitted?: (position: Position, count: number) => void;
}

/**
 * Follows the log from the projection's checkpoint and applies events in batches. Each batch's read-model changes
 * and the new checkpoint commit in one transaction: a crash at any moment leaves the read model exactly at a batch
 * boundary, and the restart goes on from there, so nothing is applied twice or skipped.
 */
export class ProjectionRunner {
  private subscription?: Subscription;
  private running?: Promise<void>;
  private stopped = false;
  private position: Position = START;
  private lastEventAt: string | null = null;

  constructor(private readonly options: RunnerOptions) {}

  get checkpoint(): Position {
    return this.position;
  }

  /**
   * Starts from the checkpoint. A projection with no checkpoint for its version (new, or its version was bumped) is
   * first rebuilt into shadow tables and swapped in, so a deploy needs no manual step and reads never see it half done.
   */
  async start(): Promise<void> {
    const { database, projection, eventStore, logger } = this.options;
    let checkpoint = await readCheckpoint(database.db, checkpointName(projection));
    if (!checkpoint && (await eventStore.headPosition()) === START) {
      // A new ledger: nothing to rebuild from (and the log is append-only, so its tables hold nothing either).
      await database.db.transaction().execute((trx) => saveCheckpoint(trx, checkpointName(projection), START));
      checkpoint = START;
    }
    if (!checkpoint) {
      logger.info(
        { projection: projection.name, version: projection.version },
        'no checkpoint for this version: rebuilding',
      );
      checkpoint = (await rebuildProjection({ projection, eventStore, database, logger })).position;
    }
    this.position = checkpoint;
    this.running = this.run();
  }

  private async run(): Promise<void> {
    const { eventStore, projection, logger } = this.options;
    const batchSize = this.options.batchSize ?? 500;
    while (!this.stopped) {
      this.subscription = eventStore.subscribe({ from: this.position, types: projection.types, batchSize });
      let batch: RecordedEvent[] = [];
      try {
        for await (const message of this.subscription) {
          if (message.kind === 'event') batch.push(message.event);
          if (batch.length >= batchSize || (message.kind === 'caught-up' && batch.length > 0)) {
            await this.commit(batch);
            batch = [];
          }
        }
      } catch (error) {
        if (this.stopped) return;
        logger.error(
          { err: error, projection: projection.name },
          'projection batch failed; retrying from its checkpoint',
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  private async commit(batch: RecordedEvent[]): Promise<void> {
    const { database, projection } = this.options;
    const last = batch[batch.length - 1]!;
    await database.db.transaction().execute(async (trx) => {
      // The checkpoint row is locked for the batch: a rebuild swapping tables in, or a second runner, waits, and
      // whatever they applied already (up to the stored position) is not applied again.
      const stored = await lockCheckpoint(trx, checkpointName(projection));
      await asProjection(trx);
      await applyAll(
        projection,
        trx,
        stored ? batch.filter((event) => comparePositions(event.position, stored) > 0) : batch,
        liveTable,
      );
      if (!stored || comparePositions(last.position, stored) > 0)
        await saveCheckpoint(trx, checkpointName(projection), last.position);
    });
    this.position = last.position;
    this.lastEventAt = last.metadata.recordedAt;
    this.options.onCommitted?.(last.position, batch.length);
  }

  /** Lag for /ready and /metrics: events of its types after the checkpoint (up to 10,000) and their age. */
  lag(): Promise<{ events: number; seconds: number }> {
    return lagAfter(this.options.eventStore, this.options.projection.types, this.position);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    await this.running;
  }
}

/** Events of these types after `checkpoint` (counted up to 10,000), and how old the oldest is: a worker's lag. */
export async function lagAfter(
  eventStore: EventStore,
  types: readonly string[] | undefined,
  checkpoint: Position,
): Promise<{ events: number; seconds: number }> {
  let events = 0;
  let oldest: string | null = null;
  for await (const event of eventStore.readAll({ from: checkpoint, types, maxCount: 10_000, batchSize: 1000 })) {
    oldest ??= event.metadata.recordedAt;
    events++;
  }
  return { events, seconds: secondsSince(oldest) };
}

/** How long ago an event was recorded, in seconds; 0 when there is none. */
export function secondsSince(recordedAt: string | null): number {
  return recordedAt ? Math.max(0, (Date.now() - Date.parse(recordedAt)) / 1000) : 0;
}
