import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { eventually } from '../contract/message-bus.contract.js';
import { needs, openTestDatabase, openTransactionElsewhere } from '../support/services.js';

const postgres = needs('postgres');

/**
 * Readers see an event only once every older transaction on the server has ended. A transaction left open elsewhere
 * (here in another database of the same server) holds new events back: the store must say so, since lag measured on
 * what readers see would look like none.
 */
describe.skipIf(postgres.skip)(`PostgreSQL events held back by an open transaction${postgres.title}`, () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: PostgresEventStore;
  const tenantId = randomUUID();

  beforeAll(async () => {
    database = await openTestDatabase('held');
    store = new PostgresEventStore(database);
  });
  afterAll(() => database?.drop());

  it('counts committed events readers cannot see yet, and releases them when the transaction ends', async () => {
    const blocker = await openTransactionElsewhere();
    try {
      const streamId = `${tenantId}/thing/${randomUUID()}`;
      const { position } = await store.append(streamId, [
        { type: 'Happened', data: {}, metadata: { tenantId, actorId: 'a', correlationId: 'c' } },
      ]);

      const held = await store.heldBack();
      expect(held.events).toBeGreaterThanOrEqual(1);
      expect(Date.parse(held.oldestRecordedAt!)).toBeLessThanOrEqual(Date.now());
      const visible = [];
      for await (const event of store.readAll()) visible.push(event.position);
      expect(visible).not.toContain(position);

      await blocker.release();
      await eventually(async () => (await store.headPosition()) === position, 'the event to become visible', 30_000);
      await eventually(async () => (await store.heldBack()).events === 0, 'nothing held back', 30_000);
    } finally {
      await blocker.release();
    }
  });
});
