import type { Database } from '../infrastructure/database/database.js';
import { comparePositions, START, type Position } from '../infrastructure/event-store/position.js';
import { lockCheckpoint, readCheckpoint, saveCheckpoint } from '../infrastructure/checkpoints/checkpoints.js';
import type { EventStore, RecordedEvent, Subscription } from '../infrastructure/event-store/types.js';
import type { Logger } from '../infrastructure/logging/logger.js';
import { asProjection } from '../infrastructure/read-models/tenant-scope.js';
import { rebuildProjection } from './rebuild.js';
import { applyAll, checkpointName, eventTypesOf, liveTable, type AnyProjection } from './projection.js';

export interface RunnerOptions {
  eventStore: EventStore;
  database: Database;
  projection: AnyProjection;
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
      this.subscription = eventStore.subscribe({ from: this.position, types: eventTypesOf([projection]), batchSize });
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
    return lagAfter(this.options.eventStore, eventTypesOf([this.options.projection]), this.position);
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
