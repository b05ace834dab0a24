import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../infrastructure/database/database.js';
import { makePosition, START } from '../../infrastructure/event-store/position.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { needs, openPgliteDatabase, openTestDatabase } from '../support/services.js';

const postgres = needs('postgres');

/**
 * The global order is (transaction id, sequence). Transaction ids grow through every power of ten in a database's
 * life (…, 9999, 10000, …); they must compare as numbers, never as text, or readers skip or repeat events from then on.
 * Real transaction ids cannot be steered, so this writes rows as the transactions 9, 10, 99 and 100 would have.
 */
describe.each([
  [`PostgreSQL${postgres.title}`, postgres.skip, () => openTestDatabase('order')],
  ['PGlite (embedded)', false, () => openPgliteDatabase()],
] as const)('%s log order across transaction ids of different lengths', (name, skip, open) => {
  let database: Database;
  let store: PostgresEventStore;
  const transactions = [100n, 9n, 99n, 10n];
  const ordered = [...transactions].sort((a, b) => (a < b ? -1 : 1));

  beforeAll(async () => {
    if (skip) return;
    database = await open();
    store = new PostgresEventStore(database);
    const tenantId = randomUUID();
    for (const [i, transaction] of transactions.entries()) {
      for (let revision = 0; revision < 3; revision++) {
        await sql`
          insert into events (transaction_id, event_id, stream_id, stream_revision, tenant_id, type, schema_version, data, metadata, recorded_at)
          values (${String(transaction)}::xid8, ${randomUUID()}::uuid, ${`${tenantId}/thing/${i}`}, ${revision}, ${tenantId}, 'Happened', 1,
                  ${JSON.stringify({ transaction: String(transaction), revision })}::jsonb, ${JSON.stringify({ tenantId })}::jsonb, now())`.execute(
          database.db,
        );
      }
    }
  });
  afterAll(async () => {
    if (skip || !database) return;
    await ('drop' in database ? (database as Database & { drop(): Promise<void> }).drop() : database.close());
  });

  it.skipIf(skip)('reads every event once, in numeric transaction order, whatever the batch size', async () => {
    for (const batchSize of [1, 2, 5, 100]) {
      const read: string[] = [];
      for await (const event of store.readAll({ batchSize }))
        read.push((event.data as { transaction: string }).transaction);
      expect(read, `batch size ${batchSize}`).toEqual(ordered.flatMap((t) => [String(t), String(t), String(t)]));
    }
  });

  it.skipIf(skip)('puts the head at the highest transaction', async () => {
    const head = await store.headPosition();
    expect(head.split('-')[0]).toBe(makePosition(100n, 0n).split('-')[0]);
    const after = [];
    for await (const event of store.readAll({ from: head })) after.push(event);
    expect(after).toEqual([]);
  });

  it.skipIf(skip)('delivers them in that order to a subscription', async () => {
    const subscription = store.subscribe({ from: START, batchSize: 2 });
    const seen: string[] = [];
    try {
      for await (const message of subscription) {
        if (message.kind === 'caught-up') break;
        seen.push((message.event.data as { transaction: string }).transaction);
      }
    } finally {
      await subscription.close();
    }
    expect(seen).toEqual(ordered.flatMap((t) => [String(t), String(t), String(t)]));
  });
});
