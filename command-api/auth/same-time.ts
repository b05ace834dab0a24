import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Makes two ways through a route take about as long: the quicker (registering an address that has an account, which
 * writes nothing) waits until the slower one's recent duration has passed, so that timing does not tell which was
 * taken. The slower path's durations are followed as a moving average; a little jitter hides the padding's edge.
 */
export class SameTime {
  private average: number;

  constructor(initialMs: number) {
    this.average = initialMs;
  }

  /** The slower path finished: learn from how long it took. */
  observe(startedAt: number): void {
    this.average = 0.8 * this.average + 0.2 * (performance.now() - startedAt);
  }

  /** The quicker path: waits out the rest of the slower path's usual duration. */
  async pad(startedAt: number): Promise<void> {
    const target = this.average * (0.9 + randomInt(0, 2001) / 10_000);
    const rest = target - (performance.now() - startedAt);
    if (rest > 0) await sleep(rest);
  }
}
