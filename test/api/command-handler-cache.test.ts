/**
 * The command handler's state cache (Aggregate.cache): a cached stream is caught up on every load, so a write through
 * another handler (another process on the same database) is seen by the next load and expected revisions hold as
 * before; aggregates with personal data are not cached unless they opt in, so an erasure shows at once; and a command
 * on a generated stream id (ExecuteOptions.generatedId) answers as it would after a read.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CommandHandler, type Aggregate, type CommandContext } from '../../command-api/http/command-handler.js';
import { DomainError, type Decider, type DomainEvent } from '../../domain/decider.js';
import { ERASED, PersonalDataVault, isSealed } from '../../infrastructure/crypto-shredding/personal-data.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { WrongExpectedRevisionError } from '../../infrastructure/event-store/types.js';
import { needs, openTestDatabase } from '../support/services.js';

const postgres = needs('postgres');

type Added = DomainEvent<'Added', { n: number; note: string | null; subject: string }>;
type Add = { type: 'Add'; n: number; note?: string; subject?: string; atMost?: number };
interface Tally {
  total: number;
  notes: unknown[];
}

/** A tally that refuses to pass `atMost`: a decision that depends on every earlier event. */
const tally: Decider<Add, Added, Tally> = {
  initialState: () => ({ total: 0, notes: [] }),
  decide(command, state) {
    if (command.atMost !== undefined && state.total + command.n > command.atMost)
      throw new DomainError('conflict', `The total would pass ${command.atMost}`);
    return [
      { type: 'Added', data: { n: command.n, note: command.note ?? null, subject: command.subject ?? 'nobody' } },
    ];
  },
  evolve: (state, event) => ({ total: state.total + event.data.n, notes: [...state.notes, event.data.note] }),
};
const personalData = { Added: { subject: 'subject', fields: ['note'] } };
const cached: Aggregate<Add, Added, Tally> = { decider: tally, cache: true };
const uncached: Aggregate<Add, Added, Tally> = { decider: tally };
const withPersonalData: Aggregate<Add, Added, Tally> = { decider: tally, personalData };
const withPersonalDataCached: Aggregate<Add, Added, Tally> = { decider: tally, personalData, cache: true };

describe.skipIf(postgres.skip)(`the command handler's state cache${postgres.title}`, () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  const tenantId = randomUUID();
  const context = (): CommandContext => ({ tenantId, actorId: 'tester', correlationId: randomUUID() });
  const stream = () => `${tenantId}/tally/${randomUUID()}`;
  const masterKey = randomBytes(32);
  /** A handler as a process has one: its own event store (and its stream heads), its own cache. */
  const process = () => {
    const store = new PostgresEventStore(database);
    const vault = new PersonalDataVault(database, masterKey);
    return { store, vault, handler: new CommandHandler(store, vault) };
  };

  beforeAll(async () => {
    database = await openTestDatabase('cache');
  });
  afterAll(() => database?.drop());

  it('catches up from the cached revision, and sees a write made through another handler at the next load', async () => {
    const one = process();
    const other = process();
    const id = stream();
    await one.handler.execute(cached, id, { type: 'Add', n: 1 }, context());
    await one.handler.execute(cached, id, { type: 'Add', n: 2 }, context());
    expect(await one.handler.load(cached, id)).toEqual({ state: { total: 3, notes: [null, null] }, revision: 1 });

    await other.handler.execute(uncached, id, { type: 'Add', n: 4 }, context());
    const reads = vi.spyOn(one.store, 'readStreams');
    expect(await one.handler.load(cached, id)).toEqual({
      state: { total: 7, notes: [null, null, null] },
      revision: 2,
    });
    // Read from where the cache stood, not from the start: the cache was used, and caught up.
    expect(reads).toHaveBeenCalledWith([{ streamId: id, fromRevision: 2 }]);
    reads.mockRestore();
  });

  it('decides on the caught-up state: a write elsewhere is never overlooked', async () => {
    const one = process();
    const other = process();
    const id = stream();
    await one.handler.execute(cached, id, { type: 'Add', n: 5 }, context());
    await other.handler.execute(uncached, id, { type: 'Add', n: 4 }, context());
    // 5 + 4 + 2 passes 10: refused, although the cached state (5) alone would allow it.
    await expect(one.handler.execute(cached, id, { type: 'Add', n: 2, atMost: 10 }, context())).rejects.toThrow(
      'The total would pass 10',
    );
    expect((await other.handler.load(uncached, id)).state.total).toBe(9);
  });

  it('keeps expected revisions: of two handlers writing at once on one revision, one wins, the other conflicts', async () => {
    const one = process();
    const other = process();
    const id = stream();
    await one.handler.execute(cached, id, { type: 'Add', n: 1 }, context());
    await other.handler.load(cached, id);
    const results = await Promise.allSettled([
      one.handler.execute(cached, id, { type: 'Add', n: 10 }, context(), { retriesOnConflict: 0 }),
      other.handler.execute(cached, id, { type: 'Add', n: 100 }, context(), { retriesOnConflict: 0 }),
    ]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
    // Both handlers, caches and all, agree on what was written.
    const [a, b] = [await one.handler.load(cached, id), await other.handler.load(cached, id)];
    expect(a).toEqual(b);
    expect(a.revision).toBe(1);
    expect([11, 101]).toContain(a.state.total);
  });

  it('never serves an erased subject’s data: personal data is not cached unless the aggregate opts in', async () => {
    const { handler, vault } = process();
    const id = stream();
    const subject = `person:${randomUUID()}`;
    await handler.execute(withPersonalData, id, { type: 'Add', n: 1, note: 'Jane Roe', subject }, context());
    expect((await handler.load(withPersonalData, id)).state.notes).toEqual(['Jane Roe']);
    await vault.erase(tenantId, subject);
    expect((await handler.load(withPersonalData, id)).state.notes).toEqual([ERASED]);
  });

  it('keeps a stream loaded with and without revealing apart', async () => {
    const { handler } = process();
    const id = stream();
    await handler.execute(
      withPersonalDataCached,
      id,
      { type: 'Add', n: 1, note: 'sk-secret', subject: 'svc' },
      context(),
    );
    expect((await handler.load(withPersonalDataCached, id)).state.notes).toEqual(['sk-secret']);
    // The plain view of the same stream is the sealed one, although the revealed one is cached.
    const plain = (await handler.load(cached, id)).state.notes;
    expect(plain).toHaveLength(1);
    expect(isSealed(plain[0])).toBe(true);
    expect((await handler.load(withPersonalDataCached, id)).state.notes).toEqual(['sk-secret']);
  });

  it('reads several streams in one round trip', async () => {
    const { handler, store } = process();
    const [a, b, missing] = [stream(), stream(), stream()];
    await handler.execute(cached, a, { type: 'Add', n: 1 }, context());
    await handler.execute(uncached, b, { type: 'Add', n: 2 }, context());
    const reads = vi.spyOn(store, 'readStreams');
    const single = vi.spyOn(store, 'readStream');
    const loaded = await handler.loadMany([
      { aggregate: cached, streamId: a },
      { aggregate: uncached, streamId: b },
      { aggregate: cached, streamId: missing },
    ]);
    expect(loaded.map((l) => [l.state, l.revision])).toEqual([
      [{ total: 1, notes: [null] }, 0],
      [{ total: 2, notes: [null] }, 0],
      [{ total: 0, notes: [] }, 'no_stream'],
    ]);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(single).not.toHaveBeenCalled();
    reads.mockRestore();
    single.mockRestore();
  });

  it('appends to a generated stream id without reading it first, and answers as a read would if it exists', async () => {
    const { handler, store } = process();
    const id = stream();
    const single = vi.spyOn(store, 'readStream');
    const reads = vi.spyOn(store, 'readStreams');
    const first = await handler.execute(uncached, id, { type: 'Add', n: 1 }, context(), {
      expect: 'new',
      generatedId: true,
    });
    expect(first.revision).toBe(0);
    expect(single).not.toHaveBeenCalled();
    expect(reads).not.toHaveBeenCalled();
    // The stream exists (another writer, say): the same conflict as without the option, nothing appended.
    const error = await handler
      .execute(uncached, id, { type: 'Add', n: 1 }, context(), { expect: 'new', generatedId: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('conflict');
    expect((await handler.load(uncached, id)).revision).toBe(0);
    single.mockRestore();
    reads.mockRestore();
  });
});
