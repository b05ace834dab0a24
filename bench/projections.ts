/**
 * Projections, beside raw batched INSERTs of as many rows into a plain table in the same run:
 * - rebuild throughput over 100,000 generated events of one tenant (clients, violations and the audit log rebuilt in
 *   one pass over the log into shadow tables, and swapped in);
 * - the time of an MSP summary as of the head of that tenant's log (its 100,000 events replayed into temporary
 *   tables by the same projections), beside the live summary;
 * - the end-to-end lag from a command's response to its visibility in a read model, at p50 and p99, under a steady
 *   command load.
 *
 *   npm run bench -- projections     (DATABASE_URL picks the server; BENCH_EVENTS=… to change the count)
 */
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { openDatabase } from '../infrastructure/database/database.js';
import { migrateToLatest } from '../infrastructure/database/migrate.js';
import { comparePositions, parsePosition } from '../infrastructure/event-store/position.js';
import { PostgresEventStore } from '../infrastructure/event-store/postgres/postgres-event-store.js';
import type { NewEvent } from '../infrastructure/event-store/types.js';
import { createLogger } from '../infrastructure/logging/logger.js';
import { auditLogProjection } from '../projections/read-models/audit-log.js';
import { clientsProjection } from '../projections/read-models/clients.js';
import type { ReadModels } from '../projections/read-models/tables.js';
import { violationsProjection } from '../projections/read-models/violations.js';
import { rebuildProjection, rebuildProjections } from '../projections/rebuild.js';
import { asTenant } from '../infrastructure/read-models/tenant-scope.js';
import { SUMMARY_PROJECTIONS, summaryAt } from '../query-api/msp/summary.js';
import { atMoment } from '../query-api/point-in-time/replay.js';
import { checkpointName } from '../projections/projection.js';
import { readCheckpoint } from '../infrastructure/checkpoints/checkpoints.js';
import { benchLedger, databaseUrl, seconds } from './http-load.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const logger = createLogger({ level: 'silent', format: 'json' });
const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;

async function rebuild(): Promise<void> {
  const schema = `bench_proj_${Date.now().toString(36)}`;
  const database = await openDatabase({ kind: 'postgres', url: databaseUrl, schema, poolSize: 10 });
  try {
    await migrateToLatest(database);
    const store = new PostgresEventStore(database);
    const tenantId = randomUUID();
    const meta = (tenantId: string) => ({ tenantId, actorId: 'bench', correlationId: 'bench', ip: '10.0.0.1' });
    process.stdout.write(`generating ${EVENTS} events`);
    for (let i = 0; i < EVENTS; i += 100) {
      const clientId = randomUUID();
      const events: NewEvent[] = Array.from({ length: Math.min(100, EVENTS - i) }, (_, k) =>
        k === 0
          ? {
              type: 'ClientRegistered',
              data: { clientId, name: `Client ${i}`, industry: 'health', size: '11-50', frameworks: ['hipaa'] },
              metadata: meta(tenantId),
            }
          : k % 2 === 0
            ? { type: 'ClientUpdated', data: { industry: `industry ${k}` }, metadata: meta(tenantId) }
            : {
                type: 'ViolationRecorded',
                data: {
                  clientId,
                  kind: 'sensitive-data',
                  action: 'block',
                  severity: 'high',
                  aiServiceId: randomUUID(),
                  analysisId: randomUUID(),
                  entityCounts: { US_SSN: 1 },
                  reasons: ['US_SSN → block'],
                },
                metadata: meta(tenantId),
              },
      );
      await store.append(`${tenantId}/client/${clientId}`, events);
      if (i % 10_000 === 0) process.stdout.write('.');
    }
    console.log(' done');
    // Fresh statistics, as autovacuum would gather them after such a load: with none, the planner expects a handful of
    // rows and sorts the whole log for every batch it reads.
    await sql`analyze events`.execute(database.db);

    // Baseline: the same number of rows through raw multi-row INSERTs of 1,000, into a plain table.
    await sql`create table bench_rows (tenant_id text, position text, event_id uuid, stream_id text, event_type text, actor_id text, recorded_at timestamptz, primary key (tenant_id, position))`.execute(
      database.db,
    );
    let started = performance.now();
    for (let i = 0; i < EVENTS; i += 1000) {
      const rows = Array.from(
        { length: Math.min(1000, EVENTS - i) },
        (_, k) => sql`(${tenantId}, ${String(i + k).padStart(12, '0')}, ${randomUUID()}::uuid, 's', 't', 'a', now())`,
      );
      await sql`insert into bench_rows values ${sql.join(rows)}`.execute(database.db);
    }
    const baseline = EVENTS / ((performance.now() - started) / 1000);

    const baselineSeconds = (performance.now() - started) / 1000;

    // Twice: the first rebuild reads a log fresh from its load (pages not yet in cache, hint bits not yet set), the
    // second one the log as it usually is, long written.
    const rebuildRate = async () => {
      const started = performance.now();
      await rebuildProjections({
        projections: [clientsProjection, violationsProjection, auditLogProjection],
        eventStore: store,
        database,
        logger,
      });
      return EVENTS / ((performance.now() - started) / 1000);
    };
    const first = await rebuildRate();
    const again = await rebuildRate();
    // A rate means nothing if events were skipped: the audit log has a row per event.
    const audited = await asTenant(
      database.db,
      { tenantId, clientId: null },
      async (trx) => (await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(trx)).rows[0]!.n,
    );
    if (audited !== EVENTS) throw new Error(`The rebuilt audit log holds ${audited} rows for ${EVENTS} events`);
    console.log(`baseline: raw INSERTs of 1,000 rows   ${baseline.toFixed(0).padStart(7)} rows/s`);
    console.log(
      `rebuild of clients, violations and audit-log in one pass over ${EVENTS} events (shadow tables, swap)   goal: 20,000 events/s or more`,
    );
    console.log(
      `first rebuild after the load        ${first.toFixed(0).padStart(7)} events/s   ratio ${(first / baseline).toFixed(2)}`,
    );
    console.log(
      `rebuild again                       ${again.toFixed(0).padStart(7)} events/s   ratio ${(again / baseline).toFixed(2)}`,
    );

    // The MSP summary as of the head of the tenant's log: every one of its events replayed by the projections.
    const head = await store.headPosition();
    started = performance.now();
    const replayed = await atMoment(
      database,
      store,
      { tenantId, asOf: { kind: 'position', position: head }, projections: SUMMARY_PROJECTIONS },
      async (trx: Transaction<ReadModels>, moment) => {
        await summaryAt(trx, moment.at, null);
        return moment.events;
      },
    );
    const asOfSeconds = (performance.now() - started) / 1000;
    for (const projection of SUMMARY_PROJECTIONS)
      await rebuildProjection({ projection, eventStore: store, database, logger });
    started = performance.now();
    await asTenant(database.db, { tenantId, clientId: null }, (trx) => summaryAt(trx, new Date().toISOString(), null));
    const liveSeconds = (performance.now() - started) / 1000;
    console.log(
      `\nMSP summary of a tenant with ${EVENTS} events (${replayed} of them read by the summary's projections)`,
    );
    console.log(`baseline: raw INSERTs of ${EVENTS} rows    ${(baselineSeconds * 1000).toFixed(0).padStart(7)} ms`);
    console.log(
      `summary as of the head (replayed)   ${(asOfSeconds * 1000).toFixed(0).padStart(7)} ms   ratio ${(asOfSeconds / baselineSeconds).toFixed(2)}`,
    );
    console.log(
      `summary now (live read models)      ${(liveSeconds * 1000).toFixed(1).padStart(7)} ms   ratio ${(liveSeconds / baselineSeconds).toFixed(4)}`,
    );
  } finally {
    await database.close();
    const admin = await openDatabase({ kind: 'postgres', url: databaseUrl, poolSize: 1 });
    await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await admin.close();
  }
}

async function lag(): Promise<void> {
  const rate = 20;
  const ledger = await benchLedger('postgres');
  const database = await openDatabase({ kind: 'postgres', url: databaseUrl, schema: ledger.schema, poolSize: 2 });
  try {
    const lags: number[] = [];
    const pending: Array<Promise<void>> = [];
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      pending.push(
        (async () => {
          const response = await ledger.post('/clients', { name: 'Lag probe', industry: 'x', size: '1-10' });
          const answered = performance.now();
          const position = parsePosition(((await response.json()) as { meta: { position: string } }).meta.position);
          for (;;) {
            const checkpoint = await readCheckpoint(database.db, checkpointName(clientsProjection));
            if (checkpoint && comparePositions(checkpoint, position) >= 0) break;
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
          lags.push(performance.now() - answered);
        })(),
      );
      await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
    }
    await Promise.all(pending);
    console.log(
      `\n${rate} commands/s for ${seconds} s: from POST /clients answering to the clients read model having it`,
    );
    console.log(
      `end-to-end lag  p50 ${quantile(lags, 0.5).toFixed(1).padStart(6)} ms  p99 ${quantile(lags, 0.99).toFixed(1).padStart(6)} ms  (${lags.length} commands)   goal: p99 under 200 ms`,
    );
  } finally {
    await database.close();
    await ledger.close();
  }
}

export async function run(): Promise<void> {
  await rebuild();
  await lag();
}
