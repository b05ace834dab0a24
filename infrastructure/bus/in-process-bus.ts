import type { BusMessage, BusSubscription, ConsumedMessage, MessageBus } from './message-bus.js';

type Handler = (message: ConsumedMessage) => Promise<void>;

/**
 * The embedded default's bus: publishing hands each message to every subscribed group's handler and resolves when
 * all of them have handled it. Nothing is held in memory between the two, so a crash loses nothing: the publisher's
 * checkpoint has not moved, and it publishes again on restart.
 */
export class InProcessBus implements MessageBus {
  readonly kind = 'in-process';
  private readonly groups = new Map<string, { topics: Set<string>; handle: Handler }>();
  // One message at a time across the bus, so each key's order holds and handlers never run concurrently.
  private queue: Promise<unknown> = Promise.resolve();

  async ensureTopics(): Promise<void> {}

  publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    const run = this.queue.then(async () => {
      for (const message of messages) {
        for (const group of [...this.groups.values()]) {
          if (group.topics.has(topic)) await group.handle({ ...message, topic });
        }
      }
    });
    this.queue = run.catch(() => {});
    return run;
  }

  async subscribe(group: string, topics: readonly string[], handle: Handler): Promise<BusSubscription> {
    if (this.groups.has(group)) throw new Error(`The in-process bus has one member per group; ${group} is taken`);
    this.groups.set(group, { topics: new Set(topics), handle });
    return { close: async () => void this.groups.delete(group) };
  }

  async close(): Promise<void> {
    this.groups.clear();
    await this.queue;
  }
}
