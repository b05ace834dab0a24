import { clientOf } from '../../domain/ownership.js';
import type { EventStore, RecordedEvent } from '../../infrastructure/event-store/types.js';
import { verifyTenant, type VerificationResult } from '../../infrastructure/event-store/verify.js';

/**
 * Which events of the log a client-scoped reader may see: those of its own client. Events carry their client in
 * their metadata (`clientId`, stamped when they are appended); for events recorded before that, the event's data or
 * else its stream says, the stream being read once per request.
 */
export class ClientScope {
  private readonly streams = new Map<string, Promise<string | null>>();

  constructor(
    private readonly eventStore: EventStore,
    /** The reader's client. */
    readonly clientId: string,
  ) {}

  /** Whether the event belongs to the reader's client. */
  async sees(event: RecordedEvent): Promise<boolean> {
    return (await this.clientOfEvent(event)) === this.clientId;
  }

  /** The client an event belongs to, or null for the MSP's own. */
  async clientOfEvent(event: RecordedEvent): Promise<string | null> {
    const stamped = (event.metadata as { clientId?: unknown }).clientId;
    if (typeof stamped === 'string' || stamped === null) return stamped;
    if (typeof event.data === 'object' && event.data !== null && 'clientId' in event.data) {
      return clientOf(event.streamId, event.data);
    }
    return this.clientOfStream(event.streamId);
  }

  /** For unstamped events whose data does not say: the client named last in their stream, or by its name. */
  private clientOfStream(streamId: string): Promise<string | null> {
    let client = this.streams.get(streamId);
    if (!client) {
      client = this.eventStore.readStream(streamId, { direction: 'backwards' }).then((events) => {
        const named = events.find((e) => typeof e.data === 'object' && e.data !== null && 'clientId' in e.data);
        return clientOf(streamId, named?.data);
      });
      this.streams.set(streamId, client);
    }
    return client;
  }

  /** The events of `events` the reader may see, in order. */
  async *filter(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>): AsyncGenerator<RecordedEvent> {
    for await (const event of events) if (await this.sees(event)) yield event;
  }
}

/** The scope of a reader: a client-scoped user's client, or none for those who act for the whole MSP. */
export function scopeOf(eventStore: EventStore, actor: { clientId: string | null }): ClientScope | undefined {
  return actor.clientId === null ? undefined : new ClientScope(eventStore, actor.clientId);
}

/**
 * The tenant's hash chains as a reader may check them: all of them for the MSP's people; for a client-scoped reader,
 * every stream that holds an event of its client, whole (a chain is only checked whole), and nothing else.
 */
export async function verifyFor(
  eventStore: EventStore,
  tenantId: string,
  scope: ClientScope | undefined,
): Promise<VerificationResult> {
  if (!scope) return verifyTenant(eventStore, tenantId);
  const streams = new Set<string>();
  for await (const event of scope.filter(eventStore.readAll({ tenantId }))) streams.add(event.streamId);
  return verifyTenant(eventStore, tenantId, streams);
}
