/**
 * The EventStore contract: one suite, run against every adapter (postgres.test.ts, pglite.test.ts,
 * eventstoredb.test.ts). An adapter that passes it can stand in for any other.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ERASED,
  SubjectErasedError,
  type PersonalDataVault,
} from '../../infrastructure/crypto-shredding/personal-data.js';
import { START, comparePositions, isPosition, type Position } from '../../infrastructure/event-store/position.js';
import { verifyStream, verifyTenant } from '../../infrastructure/event-store/verify.js';
import {
  InvalidAppendError,
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type Subscription,
} from '../../infrastructure/event-store/types.js';

export interface EventStoreHarness {
  store: EventStore;
  /** Changes the clock the store stamps recordedAt with. */
  setNow(now: Date): void;
  vault: PersonalDataVault;
  /**
   * Writes an append in a transaction that stays open until commit or rollback, for adapters where a writer can be
   * slower than another (PostgreSQL server). Absent where commits cannot interleave.
   */
  openAppend?(streamId: string, events: NewEvent[]): Promise<{ commit(): Promise<void>; rollback(): Promise<void> }>;
  /** Changes a stored event's data behind the store's back, switching off what normally forbids it. */
  tamper?(streamId: string, revision: number, data: unknown): Promise<void>;
  /** Cuts every database connection the store holds. */
  dropConnections?(): Promise<void>;
  cleanup(): Promise<void>;
}

interface Context {
  tenantId: string;
  stream(name?: string): string;
  event(type?: string, data?: unknown): NewEvent;
}

function context(): Context {
  const tenantId = randomUUID();
  return {
    tenantId,
    stream: (name = 'thing') => `${tenantId}/${name}/${randomUUID()}`,
    event: (type = 'ThingHappened', data: unknown = { n: 1 }) => ({
      type,
      data,
      metadata: { tenantId, actorId: 'user-1', correlationId: randomUUID() },
    }),
  };
}

/**
 * Waits until readers of the global log see `position`. A store may show an event only once every transaction older
 * than it has ended (PostgreSQL's gap-safe order), and another test's transaction anywhere on the same server can be
 * one of those: a test that reads the global log right after appending waits for that, not for a time.
 */
async function visible(store: EventStore, position: Position): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (comparePositions(await store.headPosition(), position) < 0) {
    if (Date.now() > deadline) throw new Error(`position ${position} did not become visible within a minute`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function collect(iterable: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

/** Reads a subscription in the background; `until` waits for a condition on what arrived so far. */
function follow(subscription: Subscription) {
  const events: RecordedEvent[] = [];
  let caughtUp = 0;
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const message of subscription) {
        if (message.kind === 'event') events.push(message.event);
        else caughtUp++;
      }
    } catch (error) {
      failure = error;
    }
  })();
  return {
    events,
    caughtUp: () => caughtUp,
    async until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (failure) throw failure;
        if (Date.now() > deadline) throw new Error(`Timed out; received ${events.length} events`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      await subscription.close();
      await done;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ContractOptions {
  /** Why the whole suite cannot run here ("no EventStoreDB"); it then shows as skipped, with that reason. */
  skip?: string;
  /**
   * What the adapter can be put through. Cases that need a capability are only registered where it exists: on
   * PGlite (one connection) commits cannot interleave, and EventStoreDB events cannot be altered in place.
   */
  interleavedCommits?: boolean;
  tamper?: boolean;
  dropConnections?: boolean;
}

export function eventStoreContract(
  adapter: string,
  makeHarness: () => Promise<EventStoreHarness>,
  options: ContractOptions = {},
): void {
  const title = `EventStore contract: ${adapter}${options.skip ? ` (skipped: ${options.skip})` : ''}`;
  describe.skipIf(Boolean(options.skip))(title, () => {
    let h: EventStoreHarness;
    beforeAll(async () => {
      h = await makeHarness();
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    describe('append with an expected revision', () => {
      it('creates a stream only once with no_stream', async () => {
        const c = context();
        const stream = c.stream();
        const first = await h.store.append(stream, [c.event(), c.event()], { expectedRevision: 'no_stream' });
        expect(first.nextExpectedRevision).toBe(1);
        expect(isPosition(first.position)).toBe(true);
        const error = await h.store
          .append(stream, [c.event()], { expectedRevision: 'no_stream' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId: stream, expected: 'no_stream', actual: 1 });
      });

      it('appends at an exact revision and refuses a stale one', async () => {
        const c = context();
        const stream = c.stream();
        await h.store.append(stream, [c.event()], { expectedRevision: 'no_stream' });
        const second = await h.store.append(stream, [c.event()], { expectedRevision: 0 });
        expect(second.nextExpectedRevision).toBe(1);
        await expect(h.store.append(stream, [c.event()], { expectedRevision: 0 })).rejects.toMatchObject({
          name: 'WrongExpectedRevisionError',
          expected: 0,
          actual: 1,
        });
        await expect(h.store.append(c.stream(), [c.event()], { expectedRevision: 0 })).rejects.toBeInstanceOf(
          WrongExpectedRevisionError,
        );
      });

      it('requires an existing stream with stream_exists', async () => {
        const c = context();
        const stream = c.stream();
        await expect(h.store.append(stream, [c.event()], { expectedRevision: 'stream_exists' })).rejects.toMatchObject({
          actual: 'no_stream',
        });
        await h.store.append(stream, [c.event()]);
        const result = await h.store.append(stream, [c.event()], { expectedRevision: 'stream_exists' });
        expect(result.nextExpectedRevision).toBe(1);
      });

      it('appends with any, whatever the stream holds', async () => {
        const c = context();
        const stream = c.stream();
        await h.store.append(stream, [c.event()], { expectedRevision: 'any' });
        const result = await h.store.append(stream, [c.event(), c.event()], { expectedRevision: 'any' });
        expect(result.nextExpectedRevision).toBe(2);
        expect((await h.store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2]);
      });

      it.each([['no_stream' as const], [0]])(
        'lets exactly one of 20 concurrent appends expecting %s succeed',
        async (expected) => {
          const c = context();
          const stream = c.stream();
          if (expected === 0) await h.store.append(stream, [c.event()], { expectedRevision: 'no_stream' });
          const results = await Promise.allSettled(
            Array.from({ length: 20 }, (_, i) =>
              h.store.append(stream, [c.event('Raced', { i })], { expectedRevision: expected }),
            ),
          );
          const won = results.filter((r) => r.status === 'fulfilled');
          const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(19);
          for (const failure of lost) expect(failure.reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect(await h.store.readStream(stream)).toHaveLength(expected === 0 ? 2 : 1);
        },
      );

      it('keeps concurrent appends with any in one unbroken chain', async () => {
        const c = context();
        const stream = c.stream();
        await Promise.all(
          Array.from({ length: 10 }, () => h.store.append(stream, [c.event()], { expectedRevision: 'any' })),
        );
        const events = await h.store.readStream(stream);
        expect(events.map((e) => e.revision)).toEqual([...Array(10).keys()]);
        expect(await verifyStream(h.store, stream)).toMatchObject({ ok: true, eventsChecked: 10 });
      });

      it('keeps a stream in revision order in the global log when many appends with any wait on each other', async () => {
        const c = context();
        const stream = c.stream();
        await h.store.append(stream, [c.event()], { expectedRevision: 'any' });
        await Promise.all(
          Array.from({ length: 30 }, () => h.store.append(stream, [c.event()], { expectedRevision: 'any' })),
        );
        // The tenant's chain is checked in log order, as an auditor reads it: a writer that waited behind a
        // later-started one must not appear before it with a higher revision.
        expect(await verifyTenant(h.store, c.tenantId)).toMatchObject({ ok: true, eventsChecked: 31 });
      });

      it('writes a batch atomically: all events or none', async () => {
        const c = context();
        const stream = c.stream();
        const stranger = { ...c.event(), metadata: { ...c.event().metadata, tenantId: randomUUID() } };
        await expect(h.store.append(stream, [c.event(), stranger])).rejects.toBeInstanceOf(InvalidAppendError);
        expect(await h.store.readStream(stream)).toEqual([]);

        const id = randomUUID();
        await h.store.append(stream, [{ ...c.event(), id }]);
        await expect(h.store.append(stream, [c.event(), { ...c.event(), id }])).rejects.toBeTruthy();
        expect(await h.store.readStream(stream)).toHaveLength(1);
      });

      it('records every event with its id, type, schema version, data and metadata', async () => {
        const c = context();
        const stream = c.stream();
        const id = randomUUID();
        const correlationId = randomUUID();
        await h.store.append(stream, [
          {
            id,
            type: 'PolicyDrafted',
            schemaVersion: 2,
            data: { title: 'AI use', tags: ['a', 'b'], nested: { n: 1.5 } },
            metadata: { tenantId: c.tenantId, actorId: 'user-7', correlationId, causationId: 'cmd-1', ip: '127.0.0.1' },
          },
        ]);
        const [event] = await h.store.readStream(stream);
        expect(event).toMatchObject({
          id,
          streamId: stream,
          revision: 0,
          type: 'PolicyDrafted',
          schemaVersion: 2,
          data: { title: 'AI use', tags: ['a', 'b'], nested: { n: 1.5 } },
          metadata: { tenantId: c.tenantId, actorId: 'user-7', correlationId, causationId: 'cmd-1', ip: '127.0.0.1' },
        });
        expect(new Date(event!.metadata.recordedAt).toISOString()).toBe(event!.metadata.recordedAt);
        expect(event!.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
      });
    });

    describe('reading a stream', () => {
      it('reads forwards, backwards, from a revision and up to a revision', async () => {
        const c = context();
        const stream = c.stream();
        await h.store.append(
          stream,
          [0, 1, 2, 3, 4].map((n) => c.event('Counted', { n })),
        );
        const data = (events: RecordedEvent[]) => events.map((e) => (e.data as { n: number }).n);
        expect(data(await h.store.readStream(stream))).toEqual([0, 1, 2, 3, 4]);
        expect(data(await h.store.readStream(stream, { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
        expect(data(await h.store.readStream(stream, { fromRevision: 2 }))).toEqual([2, 3, 4]);
        expect(data(await h.store.readStream(stream, { direction: 'backwards', fromRevision: 2 }))).toEqual([2, 1, 0]);
        expect(data(await h.store.readStream(stream, { toRevision: 1 }))).toEqual([0, 1]);
        expect(data(await h.store.readStream(stream, { direction: 'backwards', maxCount: 1 }))).toEqual([4]);
        expect(await h.store.readStream(c.stream('missing'))).toEqual([]);
      });

      it('reads several streams in one call, each from its own revision, as readStream reads each', async () => {
        const c = context();
        const [a, b, empty] = [c.stream(), c.stream(), c.stream('missing')];
        await h.store.append(
          a,
          [0, 1, 2].map((n) => c.event('Counted', { n })),
        );
        await h.store.append(
          b,
          [10, 11].map((n) => c.event('Counted', { n })),
        );
        const reads = [
          { streamId: b, fromRevision: 1 },
          { streamId: empty },
          { streamId: a },
          { streamId: a, fromRevision: 3 },
        ];
        const each = await Promise.all(reads.map(({ streamId, ...o }) => h.store.readStream(streamId, o)));
        // Stores without readStreams read stream by stream; the result must not differ.
        const many = h.store.readStreams ? await h.store.readStreams(reads) : each;
        expect(many).toEqual(each);
        expect(many.map((events) => events.map((e) => (e.data as { n: number }).n))).toEqual([[11], [], [0, 1, 2], []]);
        expect(h.store.readStreams ? await h.store.readStreams([]) : []).toEqual([]);
      });

      it('reads up to a recorded time', async () => {
        const c = context();
        const stream = c.stream();
        h.setNow(new Date('2026-01-01T10:00:00Z'));
        await h.store.append(stream, [c.event('A')]);
        h.setNow(new Date('2026-02-01T10:00:00Z'));
        await h.store.append(stream, [c.event('B')]);
        h.setNow(new Date('2026-03-01T10:00:00Z'));
        await h.store.append(stream, [c.event('C')]);
        h.setNow(new Date());
        const asOf = await h.store.readStream(stream, { toTime: new Date('2026-02-15T00:00:00Z') });
        expect(asOf.map((e) => e.type)).toEqual(['A', 'B']);
        const exact = await h.store.readStream(stream, { toTime: new Date('2026-02-01T10:00:00Z') });
        expect(exact.map((e) => e.type)).toEqual(['A', 'B']);
      });
    });

    describe('the global log', () => {
      it('reads in order from a position, in batches, filtered by tenant and type', async () => {
        const a = context();
        const b = context();
        const before = await h.store.headPosition();
        const sa = a.stream();
        const sb = b.stream();
        await h.store.append(sa, [a.event('X'), a.event('Y')]);
        await h.store.append(sb, [b.event('X')]);
        await visible(h.store, (await h.store.append(sa, [a.event('Z')])).position);

        const all = await collect(h.store.readAll({ from: before, batchSize: 2 }));
        const ours = all.filter((e) => e.streamId === sa || e.streamId === sb);
        expect(ours.map((e) => e.type)).toEqual(['X', 'Y', 'X', 'Z']);
        for (let i = 1; i < all.length; i++)
          expect(comparePositions(all[i - 1]!.position, all[i]!.position)).toBeLessThan(0);

        const tenantA = await collect(h.store.readAll({ tenantId: a.tenantId, batchSize: 1 }));
        expect(tenantA.map((e) => e.type)).toEqual(['X', 'Y', 'Z']);
        const xs = await collect(h.store.readAll({ tenantId: a.tenantId, types: ['X', 'Z'] }));
        expect(xs.map((e) => e.type)).toEqual(['X', 'Z']);

        const afterFirst = await collect(h.store.readAll({ tenantId: a.tenantId, from: tenantA[0]!.position }));
        expect(afterFirst.map((e) => e.type)).toEqual(['Y', 'Z']);
        expect(await collect(h.store.readAll({ tenantId: a.tenantId, maxCount: 2 }))).toHaveLength(2);
        expect(comparePositions(await h.store.headPosition(), tenantA[2]!.position)).toBeGreaterThanOrEqual(0);
      });

      it('tells when the last event at or before a position was recorded, per tenant (where the store can)', async () => {
        if (!h.store.recordedAtOrBefore) return; // optional: callers scan the log instead
        const a = context();
        const b = context();
        h.setNow(new Date('2026-04-01T10:00:00Z'));
        const first = await h.store.append(a.stream(), [a.event()]);
        h.setNow(new Date('2026-04-02T10:00:00Z'));
        const other = await h.store.append(b.stream(), [b.event()]);
        h.setNow(new Date());
        await visible(h.store, other.position);
        expect(await h.store.recordedAtOrBefore(first.position, { tenantId: a.tenantId })).toBe(
          '2026-04-01T10:00:00.000Z',
        );
        // Tenant b's later event does not move tenant a's moment.
        expect(await h.store.recordedAtOrBefore(other.position, { tenantId: a.tenantId })).toBe(
          '2026-04-01T10:00:00.000Z',
        );
        expect(await h.store.recordedAtOrBefore(other.position, { tenantId: b.tenantId })).toBe(
          '2026-04-02T10:00:00.000Z',
        );
        expect(await h.store.recordedAtOrBefore(START, { tenantId: a.tenantId })).toBeNull();
      });

      it('gives positions that survive a round trip through a string and compare correctly', async () => {
        const c = context();
        const first = await h.store.append(c.stream(), [c.event()]);
        const second = await h.store.append(c.stream(), [c.event()]);
        await visible(h.store, second.position);
        const restored = String(first.position) as Position;
        expect(comparePositions(restored, second.position)).toBeLessThan(0);
        expect(comparePositions(START, restored)).toBeLessThan(0);
        const after = await collect(h.store.readAll({ from: restored, tenantId: c.tenantId }));
        expect(after.map((e) => e.position)).toEqual([second.position]);
      });
    });

    describe('subscriptions', () => {
      it('delivers history, says it caught up, then follows live appends', async () => {
        const c = context();
        const stream = c.stream();
        await visible(h.store, (await h.store.append(stream, [c.event('Old')])).position);
        const sub = follow(h.store.subscribe({ tenantId: c.tenantId }));
        await sub.until(() => sub.caughtUp() > 0);
        expect(sub.events.map((e) => e.type)).toEqual(['Old']);
        await h.store.append(stream, [c.event('New1'), c.event('New2')]);
        await sub.until(() => sub.events.length === 3);
        expect(sub.events.map((e) => e.type)).toEqual(['Old', 'New1', 'New2']);
        await sub.stop();
      });

      it('restarted from a saved position, delivers each later event exactly once', async () => {
        const c = context();
        const stream = c.stream();
        await h.store.append(
          stream,
          [1, 2, 3].map((n) => c.event('N', { n })),
        );
        const first = follow(h.store.subscribe({ tenantId: c.tenantId, batchSize: 2 }));
        await first.until(() => first.events.length === 3);
        const saved = first.events[1]!.position;
        await first.stop();
        await h.store.append(
          stream,
          [4, 5].map((n) => c.event('N', { n })),
        );
        const second = follow(h.store.subscribe({ tenantId: c.tenantId, from: saved, batchSize: 2 }));
        await second.until(() => second.caughtUp() > 0 && second.events.length >= 3);
        await sleep(300);
        expect(second.events.map((e) => (e.data as { n: number }).n)).toEqual([3, 4, 5]);
        await second.stop();
      });

      it('delivers events from many concurrent writers once each, in position order', async () => {
        const c = context();
        const sub = follow(h.store.subscribe({ tenantId: c.tenantId, batchSize: 7 }));
        await sub.until(() => sub.caughtUp() > 0);
        await Promise.all(
          Array.from({ length: 8 }, async (_, writer) => {
            for (let i = 0; i < 5; i++)
              await h.store.append(c.stream(`w${writer}`), [c.event('W', { writer, i }), c.event('W', { writer, i })]);
          }),
        );
        await sub.until(() => sub.events.length >= 80);
        await sleep(300);
        expect(sub.events).toHaveLength(80);
        expect(new Set(sub.events.map((e) => e.id)).size).toBe(80);
        const positions = sub.events.map((e) => e.position);
        expect([...positions].sort(comparePositions)).toEqual(positions);
        await sub.stop();
      });

      if (options.interleavedCommits)
        it('does not skip a slow transaction that commits after a faster one', async () => {
          const c = context();
          const sub = follow(h.store.subscribe({ tenantId: c.tenantId }));
          await sub.until(() => sub.caughtUp() > 0);
          const slow = await h.openAppend!(c.stream('slow'), [c.event('Slow')]);
          await h.store.append(c.stream('fast'), [c.event('Fast')]);
          const checkpoint = await h.store.headPosition();
          await sleep(300);
          // The fast event is not delivered ahead of the slow one, which may still land before it.
          expect(sub.events.map((e) => e.type)).toEqual([]);
          await slow.commit();
          await sub.until(() => sub.events.length === 2);
          expect(sub.events.map((e) => e.type)).toEqual(['Slow', 'Fast']);
          // A checkpoint taken while the slow transaction was open does not pass it.
          const resumed = await collect(h.store.readAll({ from: checkpoint, tenantId: c.tenantId }));
          expect(resumed.map((e) => e.type)).toEqual(['Slow', 'Fast']);
          await sub.stop();
        });

      if (options.interleavedCommits)
        it('is not stalled by a rolled-back append', async () => {
          const c = context();
          const sub = follow(h.store.subscribe({ tenantId: c.tenantId }));
          await sub.until(() => sub.caughtUp() > 0);
          const doomed = await h.openAppend!(c.stream('doomed'), [c.event('Doomed')]);
          await h.store.append(c.stream(), [c.event('Kept')]);
          await doomed.rollback();
          await sub.until(() => sub.events.length === 1, 5_000);
          expect(sub.events.map((e) => e.type)).toEqual(['Kept']);
          await h.store.append(c.stream(), [c.event('Later')]);
          await sub.until(() => sub.events.length === 2, 5_000);
          await sub.stop();
        });

      if (options.dropConnections)
        it('survives dropped database connections without losing or repeating events', async () => {
          const c = context();
          const stream = c.stream();
          const sub = follow(h.store.subscribe({ tenantId: c.tenantId }));
          await h.store.append(stream, [c.event('Before')]);
          await sub.until(() => sub.events.length === 1);
          await h.dropConnections!();
          await h.store.append(stream, [c.event('After')]).catch(async () => {
            // The pool may hand out a connection that was just cut: a caller retries, and so does this test.
            await h.store.append(stream, [c.event('After')]);
          });
          await sub.until(() => sub.events.length >= 2, 15_000);
          await sleep(300);
          expect(sub.events.map((e) => e.type)).toEqual(['Before', 'After']);
          await sub.stop();
        });
    });

    describe('tamper evidence', () => {
      it('chains every event to the one before it in its stream', async () => {
        const c = context();
        const stream = c.stream();
        await h.store.append(stream, [c.event(), c.event()]);
        await h.store.append(stream, [c.event()]);
        const events = await h.store.readStream(stream);
        expect(events[0]!.metadata.previousHash).toBe('0'.repeat(64));
        expect(events[1]!.metadata.previousHash).toBe(events[0]!.metadata.hash);
        expect(events[2]!.metadata.previousHash).toBe(events[1]!.metadata.hash);
        expect(await verifyStream(h.store, stream)).toEqual({ ok: true, eventsChecked: 3 });
        await visible(h.store, (await h.store.append(c.stream(), [c.event()])).position);
        expect(await verifyTenant(h.store, c.tenantId)).toEqual({ ok: true, eventsChecked: 4 });
      });

      if (options.tamper)
        it('finds the first event altered directly in the database', async () => {
          const c = context();
          const stream = c.stream();
          const written = await h.store.append(
            stream,
            [0, 1, 2].map((n) => c.event('Scored', { score: n })),
          );
          await visible(h.store, written.position);
          await h.tamper!(stream, 1, { score: 100 });
          const result = await verifyStream(h.store, stream);
          expect(result).toMatchObject({
            ok: false,
            firstBreak: { reason: 'hash-mismatch', streamId: stream, revision: 1 },
          });
          expect(await verifyTenant(h.store, c.tenantId)).toMatchObject({ ok: false, firstBreak: { revision: 1 } });
        });
    });

    describe('crypto-shredding', () => {
      it("reads an erased subject's fields back as erased while the chain still verifies", async () => {
        const c = context();
        const subject = randomUUID();
        const stream = c.stream('user');
        const email = await h.vault.seal(c.tenantId, subject, 'ada@example.com');
        const name = await h.vault.seal(c.tenantId, subject, 'Ada Lovelace');
        await h.store.append(stream, [c.event('UserRegistered', { userId: subject, email, name, role: 'msp_admin' })]);
        expect(JSON.stringify(await h.store.readStream(stream))).not.toContain('ada@example.com');

        const [before] = await h.store.readStream(stream);
        expect(await h.vault.reveal(before!.data)).toEqual({
          userId: subject,
          email: 'ada@example.com',
          name: 'Ada Lovelace',
          role: 'msp_admin',
        });

        expect(await h.vault.erase(c.tenantId, subject)).toBe(true);
        const [after] = await h.store.readStream(stream);
        expect(await h.vault.reveal(after!.data)).toEqual({
          userId: subject,
          email: ERASED,
          name: ERASED,
          role: 'msp_admin',
        });
        expect(await verifyStream(h.store, stream)).toEqual({ ok: true, eventsChecked: 1 });
        await expect(h.vault.seal(c.tenantId, subject, 'again@example.com')).rejects.toBeInstanceOf(SubjectErasedError);
      });
    });
  });
}
