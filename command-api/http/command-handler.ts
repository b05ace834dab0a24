import { clientOf } from '../../domain/ownership.js';
import { DomainError, fold, type Decider, type DomainEvent, type PersonalDataFields } from '../../domain/decider.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import type { Position } from '../../infrastructure/event-store/position.js';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type RecordedEvent,
} from '../../infrastructure/event-store/types.js';
import { meets, preconditionFailed, type IfMatch } from '../../infrastructure/http/contract/etag.js';

/** Who is acting, on behalf of which tenant, and the request it came from: stored as every event's metadata. */
export interface CommandContext {
  tenantId: string;
  actorId: string;
  correlationId: string;
  causationId?: string | null;
  /** Where the request came from, for the audit log. */
  ip?: string;
}

/** An aggregate as the handler sees it: its decider and, where it holds personal data, which fields to seal. */
export interface Aggregate<Command, Event extends DomainEvent, State> {
  decider: Decider<Command, Event, State>;
  personalData?: Record<string, PersonalDataFields>;
}

export interface CommandResult<Event, State> {
  events: Event[];
  state: State;
  /** The stream's revision after the command, from which its ETag derives (contract/etag.ts). */
  revision: number;
  /** The global position written, or the head when the command changed nothing. */
  position: Position | null;
}

export interface ExecuteOptions {
  /** The ETag the client saw (If-Match): a different current one is a 412 naming it. */
  ifMatch?: IfMatch;
  /** 'existing': a missing stream is a 404 (an id from another tenant lands here too, so nothing leaks). */
  expect?: 'new' | 'existing' | 'any';
  /**
   * On a concurrent append, read the stream again and decide again, up to this many times (default 8), before
   * answering 409. Deciding again on the new state is what the same requests one after another would give: the
   * decider checks the command against what is there now (a second resolve is refused as such), and an If-Match the
   * other write made stale is a 412 naming the new ETag.
   */
  retriesOnConflict?: number;
  /**
   * The resource exists before its stream has an event (a violation: raised in another stream, its workflow stream
   * begins with its first step). Its stream, unwritten, is then at ETag "0", which If-Match (and `*`) accept.
   */
  existsUnwritten?: boolean;
}

/**
 * The one command handler: read the stream, fold, decide, append at the revision read. A concurrent writer in
 * between makes the append fail with WrongExpectedRevisionError, which the API answers with 409.
 */
export class CommandHandler {
  constructor(
    private readonly eventStore: EventStore,
    private readonly vault: PersonalDataVault,
  ) {}

  async load<C, E extends DomainEvent, S>(
    aggregate: Aggregate<C, E, S>,
    streamId: string,
  ): Promise<{ state: S; revision: number | 'no_stream' }> {
    const recorded = await this.eventStore.readStream(streamId);
    const events = aggregate.personalData
      ? await Promise.all(recorded.map((e) => this.vault.reveal(e.data)))
      : recorded.map((e) => e.data);
    const state = fold(
      aggregate.decider,
      recorded.map((e, i) => ({ type: e.type, data: events[i] }) as E),
    );
    return { state, revision: recorded.length > 0 ? recorded[recorded.length - 1]!.revision : 'no_stream' };
  }

  /** A stream's events as recorded, with when and by whom (metadata): for answers that show a resource's history. */
  recorded(streamId: string): Promise<RecordedEvent[]> {
    return this.eventStore.readStream(streamId);
  }

  async execute<C, E extends DomainEvent, S>(
    aggregate: Aggregate<C, E, S>,
    streamId: string,
    command: C,
    context: CommandContext,
    options: ExecuteOptions = {},
  ): Promise<CommandResult<E, S>> {
    for (let attempt = 1, retries = options.retriesOnConflict ?? 8; ; attempt++, retries--) {
      try {
        return await this.executeOnce(aggregate, streamId, command, context, options);
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || retries <= 0) throw error;
      }
      // A little jitter, growing: writers that collided do not collide again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }

  private async executeOnce<C, E extends DomainEvent, S>(
    aggregate: Aggregate<C, E, S>,
    streamId: string,
    command: C,
    context: CommandContext,
    options: ExecuteOptions,
  ): Promise<CommandResult<E, S>> {
    const { state, revision } = await this.load(aggregate, streamId);
    if (options.expect === 'existing' && revision === 'no_stream')
      throw new DomainError('not_found', 'No such resource');
    if (options.expect === 'new' && revision !== 'no_stream')
      throw new DomainError('conflict', 'The resource already exists');
    const tagged = revision === 'no_stream' && options.existsUnwritten ? -1 : revision;
    if (options.ifMatch !== undefined && !meets(options.ifMatch, tagged)) {
      throw preconditionFailed(options.ifMatch, tagged);
    }
    const events = aggregate.decider.decide(command, state);
    const after = events.reduce((s, e) => aggregate.decider.evolve(s, e), state);
    if (events.length === 0) {
      return { events, state: after, revision: revision === 'no_stream' ? -1 : revision, position: null };
    }
    const stored = await Promise.all(events.map((event) => this.seal(aggregate, context.tenantId, event)));
    // The client each event belongs to, as the state stands once it is applied.
    let evolving = state;
    const clients = events.map((event) =>
      clientOf(streamId, event.data, (evolving = aggregate.decider.evolve(evolving, event))),
    );
    const result = await this.eventStore.append(
      streamId,
      stored.map((event, i) => ({
        type: event.type,
        data: event.data,
        metadata: {
          tenantId: context.tenantId,
          actorId: context.actorId,
          correlationId: context.correlationId,
          causationId: context.causationId ?? null,
          clientId: clients[i]!,
          ...(context.ip ? { ip: context.ip } : {}),
        },
      })),
      { expectedRevision: revision },
    );
    return { events, state: after, revision: result.nextExpectedRevision, position: result.position };
  }

  /** Encrypts the event's personal data fields under their subject's key. */
  private async seal<C, E extends DomainEvent, S>(
    aggregate: Aggregate<C, E, S>,
    tenantId: string,
    event: E,
  ): Promise<E> {
    const policy = aggregate.personalData?.[event.type];
    if (!policy) return event;
    const data = { ...event.data } as Record<string, unknown>;
    const subject = String(data[policy.subject]);
    for (const field of policy.fields) {
      if (typeof data[field] === 'string') data[field] = await this.vault.seal(tenantId, subject, data[field]);
    }
    return { ...event, data };
  }
}
