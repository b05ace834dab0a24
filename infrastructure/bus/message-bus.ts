/**
 * The port the violation fan-out talks to: Kafka in production, an in-process bus on the embedded default. One
 * contract suite (test/contract/message-bus.contract.ts) runs against both.
 */
export interface BusMessage {
  /** Messages with the same key keep their order (the tenant, for violations). */
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface ConsumedMessage extends BusMessage {
  topic: string;
}

export interface BusSubscription {
  close(): Promise<void>;
}

export interface MessageBus {
  readonly kind: 'kafka' | 'in-process';
  /** Creates the topics that do not exist yet. */
  ensureTopics(topics: readonly string[]): Promise<void>;
  /**
   * Resolves once the bus holds the messages for good: acknowledged by every in-sync replica (Kafka), or handled by
   * every subscribed group (in-process). A rejection means nothing can be assumed delivered: send them again.
   */
  publish(topic: string, messages: readonly BusMessage[]): Promise<void>;
  /**
   * Delivers every message of the topics to one handler of the group, at least once and in order per key. A message
   * counts as consumed when the handler resolves; a handler that throws gets the message again.
   */
  subscribe(
    group: string,
    topics: readonly string[],
    handle: (message: ConsumedMessage) => Promise<void>,
  ): Promise<BusSubscription>;
  close(): Promise<void>;
}
