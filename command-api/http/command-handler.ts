import { clientOf } from '../../domain/ownership.js';
import { DomainError, type Decider, type DomainEvent, type PersonalDataFields } from '../../domain/decider.js';
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
  /**
   * Keep the folded state of recently used streams in memory and catch up on each load with the events after it
   * (StateCache). Opt in only where that is safe: a cached state holds revealed personal data past its subject's
   * erasure, so an aggregate with `personalData` may opt in only if its subjects are never erased.
   */
  cache?: boolean;
}

/** A stream to load, for loadMany. */
export interface StreamToLoad {
  aggregate: Aggregate<never, DomainEvent, unknown>;
  streamId: string;
}

export interface Loaded<S> {
  state: S;
  revision: number | 'no_stream';
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
   * The stream id was generated for this command (a random uuid), so its stream cannot exist yet: it is not read
   * before deciding. Should it exist all the same, the append fails on its expected revision ('no_stream') and the
   * command is decided again after a read, exactly as without this option. Only with `expect: 'new'`.
   */
  generatedId?: boolean;
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
  private readonly cache: StateCache;

  constructor(
    private readonly eventStore: EventStore,
    private readonly vault: PersonalDataVault,
    options: { cachedStreams?: number } = {},
  ) {
    this.cache = new StateCache(options.cachedStreams ?? 10_000);
  }

  /** The stream's state and revision: read whole, or caught up from the cached state (Aggregate.cache). */
  async load<C, E extends DomainEvent, S>(aggregate: Aggregate<C, E, S>, streamId: string): Promise<Loaded<S>> {
    return (await this.loadMany([{ aggregate: aggregate as never, streamId }]))[0] as Loaded<S>;
  }

  /**
   * Several streams at once, in one read where the store can (EventStore.readStreams): each as load gives it, read
   * at about the same moment.
   */
  async loadMany(streams: readonly StreamToLoad[]): Promise<Loaded<unknown>[]> {
    const cached = streams.map(({ aggregate, streamId }) =>
      aggregate.cache ? this.cache.get(aggregate, streamId) : undefined,
    );
    const reads = streams.map(({ streamId }, i) => ({
      streamId,
      ...(cached[i] ? { fromRevision: cached[i].revision + 1 } : {}),
    }));
    const recorded = this.eventStore.readStreams
      ? await this.eventStore.readStreams(reads)
      : await Promise.all(reads.map(({ streamId, ...options }) => this.eventStore.readStream(streamId, options)));
    return Promise.all(
      streams.map(async ({ aggregate, streamId }, i) => {
        const events = recorded[i]!;
        const base = cached[i];
        if (base && events.length === 0) return { state: base.state, revision: base.revision };
        const data = aggregate.personalData
          ? await Promise.all(events.map((e) => this.vault.reveal(e.data)))
          : events.map((e) => e.data);
        let state = base ? base.state : aggregate.decider.initialState();
        events.forEach((e, j) => (state = aggregate.decider.evolve(state, { type: e.type, data: data[j] } as never)));
        const revision = events.length > 0 ? events[events.length - 1]!.revision : (base?.revision ?? 'no_stream');
        if (aggregate.cache && revision !== 'no_stream') this.cache.set(aggregate, streamId, state, revision);
        return { state, revision };
      }),
    );
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
        return await this.executeOnce(aggregate, streamId, command, context, options, attempt === 1);
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
    first: boolean,
  ): Promise<CommandResult<E, S>> {
    if (first && options.generatedId && options.expect === 'new' && options.ifMatch === undefined) {
      try {
        return await this.decideAndAppend(
          aggregate,
          streamId,
          command,
          context,
          aggregate.decider.initialState(),
          'no_stream',
        );
      } catch (error) {
        // Anything but a success is decided again after a read, so the answer is the one a read would have given.
        if (!(error instanceof DomainError)) throw error;
      }
    }
    const { state, revision } = await this.load(aggregate, streamId);
    if (options.expect === 'existing' && revision === 'no_stream')
      throw new DomainError('not_found', 'No such resource');
    if (options.expect === 'new' && revision !== 'no_stream')
      throw new DomainError('conflict', 'The resource already exists');
    const tagged = revision === 'no_stream' && options.existsUnwritten ? -1 : revision;
    if (options.ifMatch !== undefined && !meets(options.ifMatch, tagged)) {
      throw preconditionFailed(options.ifMatch, tagged);
    }
    return this.decideAndAppend(aggregate, streamId, command, context, state, revision);
  }

  private async decideAndAppend<C, E extends DomainEvent, S>(
    aggregate: Aggregate<C, E, S>,
    streamId: string,
    command: C,
    context: CommandContext,
    state: S,
    revision: number | 'no_stream',
  ): Promise<CommandResult<E, S>> {
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
    if (aggregate.cache) this.cache.set(aggregate, streamId, after, result.nextExpectedRevision);
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

/**
 * The folded state and revision of recently used streams (at most `size`, least recently used dropped first), for
 * aggregates that opt in. Never trusted alone: every load reads the events after the cached revision, so a write from
 * another handler or process is seen by the next load. Keyed by the stream and by whether its personal data was
 * revealed, and checked against the decider, so a stream loaded two ways never mixes them.
 */
class StateCache {
  private readonly entries = new Map<string, { decider: unknown; state: unknown; revision: number }>();

  constructor(private readonly size: number) {}

  private static key(aggregate: Aggregate<never, DomainEvent, unknown>, streamId: string): string {
    return `${aggregate.personalData ? 'revealed' : 'plain'}:${streamId}`;
  }

  get<S>(aggregate: Aggregate<never, DomainEvent, S>, streamId: string): { state: S; revision: number } | undefined {
    const key = StateCache.key(aggregate, streamId);
    const entry = this.entries.get(key);
    if (!entry || entry.decider !== aggregate.decider) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry as { state: S; revision: number };
  }

  set<S>(aggregate: Aggregate<never, DomainEvent, S>, streamId: string, state: S, revision: number): void {
    const key = StateCache.key(aggregate, streamId);
    const known = this.entries.get(key);
    // A slower load that read less must not replace what a faster one already saw.
    if (known && known.decider === aggregate.decider && known.revision > revision) return;
    this.entries.delete(key);
    this.entries.set(key, { decider: aggregate.decider, state, revision });
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
  }
}
