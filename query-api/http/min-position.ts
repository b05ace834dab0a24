import type { RequestHandler } from 'express';
import type { Database } from '../../infrastructure/database/database.js';
import { comparePositions, isPosition, START, type Position } from '../../infrastructure/event-store/position.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { dropETag, etagPosition } from '../../infrastructure/http/contract/etag.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { checkpointName, eventTypesOf, type AnyProjection } from '../../projections/projection.js';
import { readCheckpoint } from '../../infrastructure/checkpoints/checkpoints.js';

/** Whether the projection has applied everything of its own up to `position`. */
async function caughtUp(
  database: Database,
  eventStore: EventStore,
  projection: AnyProjection,
  position: Position,
): Promise<boolean> {
  const checkpoint = (await readCheckpoint(database.db, checkpointName(projection))) ?? START;
  if (comparePositions(checkpoint, position) >= 0) return true;
  // A command that wrote no event of this projection's types leaves its checkpoint behind, yet nothing is pending.
  for await (const next of eventStore.readAll({ from: checkpoint, types: eventTypesOf([projection]), maxCount: 1 }))
    return comparePositions(next.position, position) > 0;
  return true;
}

/**
 * Read-your-writes: a request carrying X-Min-Position (the meta.position a command answered) waits until the
 * projections it reads have reached it, up to `waitMs`; then 503 with Retry-After. A resource with an ETag waits the
 * same way for its stream's head, and answers without an ETag when the read models do not reach it in time.
 */
export function minPosition(
  database: Database,
  eventStore: EventStore,
  projections: readonly AnyProjection[],
  waitMs: number,
): RequestHandler {
  /** Waits until the read models have reached `position`; false when they have not within waitMs. */
  async function reached(position: Position): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      // The position must be in the visible log at all (a commit is visible a moment after its answer, at worst).
      const visible = comparePositions(await eventStore.headPosition(), position) >= 0;
      if (
        visible &&
        (await Promise.all(projections.map((p) => caughtUp(database, eventStore, p, position)))).every(Boolean)
      )
        return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  return async (req, res, next) => {
    try {
      const header = req.headers['x-min-position'];
      if (header !== undefined) {
        if (typeof header !== 'string' || !isPosition(header)) {
          return next(
            new HttpProblem(
              400,
              'invalid-min-position',
              'Invalid X-Min-Position',
              'X-Min-Position must be a position a command answered in meta.position.',
              { errors: [{ field: 'X-Min-Position', message: 'not a log position' }] },
            ),
          );
        }
        if (!(await reached(header))) {
          res.setHeader('Retry-After', '1');
          return next(
            new HttpProblem(
              503,
              'not-yet-visible',
              'Not yet visible',
              `The read models have not reached position ${header} within ${waitMs} ms; retry shortly.`,
            ),
          );
        }
      }
      // A resource's ETag names the revision its stream is at: the read models must show that much of it too.
      const tagged = etagPosition(res);
      if (tagged !== undefined && !(await reached(tagged))) dropETag(res);
      next();
    } catch (error) {
      next(error);
    }
  };
}
