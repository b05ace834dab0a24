import type { Position } from './position.js';
import type { RecordedEvent, Subscription, SubscriptionMessage } from './types.js';

export interface PollingSubscriptionOptions {
  from: Position;
  batchSize: number;
  /** Upper bound on the wait between reads when no notification arrives. */
  pollIntervalMs: number;
  /** Events strictly after `from`, in order, at most `limit`. */
  readBatch(from: Position, limit: number): Promise<RecordedEvent[]>;
  /** Registers a wake-up call for new events; returns how to unregister it. */
  listen(wake: () => void): Promise<() => Promise<void>>;
  /**
   * Shortest time between two reads that a notification starts (default 0): under a stream of appends, each wake-up
   * then reads what several appends wrote, rather than each append costing every subscriber a read. A full batch is
   * followed by the next read at once, whatever this is.
   */
  minReadIntervalMs?: number;
  /** First and longest wait after a failed read. */
  retry?: { initialMs: number; maxMs: number };
}

/**
 * A subscription built from "read a batch after position P": it remembers the last position it delivered, so a
 * dropped connection or a failed read just means reading again from there. Nothing is delivered twice, nothing is
 * skipped, as long as `readBatch` only returns events that can no longer be preceded by a later commit.
 */
export function pollingSubscription(options: PollingSubscriptionOptions): Subscription {
  const { initialMs, maxMs } = options.retry ?? { initialMs: 50, maxMs: 5_000 };
  const minReadIntervalMs = options.minReadIntervalMs ?? 0;
  let closed = false;
  let wakeUp: (() => void) | undefined;
  let pending = false; // a notification arrived while we were reading
  const wake = (): void => {
    pending = true;
    wakeUp?.();
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (pending || closed) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });

  /** A wait that only closing cuts short. */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      stopPause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  let stopPause: (() => void) | undefined;

  async function* run(): AsyncGenerator<SubscriptionMessage> {
    let position = options.from;
    let announcedCaughtUp = false;
    let failures = 0;
    let unlisten: (() => Promise<void>) | undefined;
    let lastRead = -Infinity;
    try {
      while (!closed) {
        if (!unlisten) {
          // Listening can fail while the database is away; the slow poll carries on meanwhile.
          unlisten = await options.listen(wake).catch(() => undefined);
        }
        pending = false;
        let batch: RecordedEvent[];
        try {
          lastRead = performance.now();
          batch = await options.readBatch(position, options.batchSize);
          failures = 0;
        } catch (error) {
          if (closed) return;
          failures++;
          if (failures > 50) throw error; // not a blip: let the owner decide
          await sleep(Math.min(initialMs * 2 ** (failures - 1), maxMs));
          continue;
        }
        for (const event of batch) {
          if (closed) return;
          position = event.position;
          announcedCaughtUp = false;
          yield { kind: 'event', event };
        }
        if (batch.length < options.batchSize) {
          if (!announcedCaughtUp) {
            announcedCaughtUp = true;
            yield { kind: 'caught-up', position };
          }
          await sleep(options.pollIntervalMs);
          const early = minReadIntervalMs - (performance.now() - lastRead);
          if (early > 0 && !closed) await pause(early);
        }
      }
    } finally {
      await unlisten?.().catch(() => {});
    }
  }

  const iterator = run();
  return {
    [Symbol.asyncIterator]: () => iterator,
    async close() {
      closed = true;
      wakeUp?.();
      stopPause?.();
      await iterator.return(undefined);
    },
  };
}
