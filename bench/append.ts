/**
 * Appends per second to the PostgreSQL event store, against raw single-row INSERT transactions through `pg` with the
 * same concurrency and payload, measured in the same run.
 *
 *   DATABASE_URL=postgres://… npm run bench -- append      (default: the local server, database "test")
 *   BENCH_SECONDS=5 to measure each case longer.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../infrastructure/database/database.js';
import { migrateToLatest } from '../infrastructure/database/migrate.js';
import { PostgresEventStore } from '../infrastructure/event-store/postgres/postgres-event-store.js';
import type { NewEvent } from '../infrastructure/event-store/types.js';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const WRITERS = [1, 16];
const BATCHES = [1, 10];

const payload = {
  policyId: randomUUID(),
  title: 'Acceptable use of generative AI',
  sections: ['scope', 'data', 'review'],
  score: 87.5,
};

/** Runs `writers` loops for the measuring time; returns operations per second. */
async function measure(
  writers: number,
  operation: (writer: number, iteration: number) => Promise<void>,
): Promise<number> {
  // Warm-up: connections open, plans cached.
  await Promise.all(Array.from({ length: writers }, (_, w) => operation(w, -1)));
  const deadline = performance.now() + seconds * 1000;
  let operations = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await operation(writer, i);
        operations++;
      }
    }),
  );
  return operations / ((performance.now() - started) / 1000);
}

export async function run(): Promise<void> {
  const schema = `bench_${Date.now().toString(36)}`;
  const database = await openDatabase({ kind: 'postgres', url, schema, poolSize: Math.max(...WRITERS) });
  const raw = new pg.Pool({ connectionString: url, max: Math.max(...WRITERS), options: `-c search_path=${schema}` });
  try {
    await migrateToLatest(database);
    await raw.query(`create table baseline (id bigint generated always as identity primary key, event_id uuid not null unique,
      stream_id text not null, type text not null, data jsonb not null, metadata jsonb not null, recorded_at timestamptz not null)`);
    const store = new PostgresEventStore(database);
    const tenantId = randomUUID();
    const metadata = { tenantId, actorId: 'bench', correlationId: randomUUID() };

    console.log(
      `PostgreSQL adapter vs raw INSERT transactions through pg, ${seconds} s per case (${url.replace(/\/\/[^@]*@/, '//')})`,
    );
    console.log('writers  batch  adapter events/s  baseline events/s  ratio');
    for (const batch of BATCHES) {
      for (const writers of WRITERS) {
        const events = (): NewEvent[] =>
          Array.from({ length: batch }, () => ({ type: 'PolicyDrafted', data: payload, metadata }));
        // Each writer appends to its own stream at the exact revision it last wrote, as a command handler does.
        const revisions = new Map<number, number | 'no_stream'>();
        const streams = Array.from({ length: writers }, () => `${tenantId}/policy/${randomUUID()}`);
        const adapter = await measure(writers, async (writer) => {
          const result = await store.append(streams[writer]!, events(), {
            expectedRevision: revisions.get(writer) ?? 'no_stream',
          });
          revisions.set(writer, result.nextExpectedRevision);
        });
        const baseline = await measure(writers, async (writer) => {
          const client = await raw.connect();
          try {
            await client.query('begin');
            const rows = Array.from(
              { length: batch },
              (_, i) =>
                `($${i * 6 + 1}::uuid, $${i * 6 + 2}, $${i * 6 + 3}, $${i * 6 + 4}::jsonb, $${i * 6 + 5}::jsonb, $${i * 6 + 6}::timestamptz)`,
            );
            const values = Array.from({ length: batch }, () => [
              randomUUID(),
              streams[writer],
              'PolicyDrafted',
              JSON.stringify(payload),
              JSON.stringify(metadata),
              new Date().toISOString(),
            ]).flat();
            await client.query(
              `insert into baseline (event_id, stream_id, type, data, metadata, recorded_at) values ${rows.join(', ')}`,
              values,
            );
            await client.query('commit');
          } finally {
            client.release();
          }
        });
        const ratio = adapter / baseline;
        console.log(
          `${String(writers).padStart(7)}  ${String(batch).padStart(5)}  ${(adapter * batch).toFixed(0).padStart(16)}  ${(baseline * batch).toFixed(0).padStart(17)}  ${ratio.toFixed(2)}`,
        );
      }
    }
    console.log('Goal: ratio ≥ 0.5 at 16 writers.');
    await store.close();
  } finally {
    await raw.query(`drop schema ${schema} cascade`).catch(() => {});
    await raw.end();
    await database.close();
  }
}
