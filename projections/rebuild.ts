import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../infrastructure/database/database.js';
import { comparePositions, maxPosition, START, type Position } from '../infrastructure/event-store/position.js';
import type { EventStore, RecordedEvent } from '../infrastructure/event-store/types.js';
import type { Logger } from '../infrastructure/logging/logger.js';
import { asProjection } from '../infrastructure/read-models/tenant-scope.js';
import { lockCheckpoint, saveCheckpoint } from '../infrastructure/checkpoints/checkpoints.js';
import { applyAll, checkpointName, eventTypesOf, handles, type AnyProjection } from './projection.js';

/**
 * Each rebuild fills shadow tables of its own, named with its start time (seconds, base 36): two rebuilds of one
 * projection at once (a deploy's runner and the CLI, say) never write into each other's tables, and whichever swaps
 * second catches up first. Shadows a crashed rebuild left behind are dropped by a later one after a day.
 */
const SHADOW = /__rb_([0-9a-z]+)_[0-9a-z]+$/;
const shadowName = (table: string, run: string): string => `${table}__rb_${run}`;
const STALE_SHADOW_SECONDS = 86_400;

async function dropStaleShadows(db: Kysely<unknown>, table: string, now: number): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    select tablename as name from pg_tables where schemaname = current_schema() and tablename like ${`${table}__rb_%`.replaceAll('_', '\\_')}`.execute(
    db,
  );
  for (const { name } of rows) {
    const started = parseInt(SHADOW.exec(name)?.[1] ?? '', 36);
    if (Number.isFinite(started) && now - started > STALE_SHADOW_SECONDS)
      await sql`drop table if exists ${sql.table(name)}`.execute(db);
  }
}
// Larger batches read and bind faster (one query and one statement per projection for 5,000 events).
const BATCH = 5000;

export interface RebuildProgress {
  applied: number;
  /** Events to apply in all, when the store can count them. */
  total: number | null;
}

export interface RebuildOptions {
  projection: AnyProjection;
  eventStore: EventStore;
  database: Database;
  logger: Logger;
  onProgress?: (progress: RebuildProgress) => void;
}

/**
 * A shadow copy of a live table: its columns, defaults, indexes, row-level security, policies and grants. Indexes
 * that are neither primary nor unique serve queries, not the projection's writes (those go by key): they are dropped
 * from the shadow and their definitions returned, to be built once over the filled table, which is cheaper than
 * keeping them up to date row by row.
 */
async function createShadow(db: Kysely<unknown>, table: string, shadow: string): Promise<string[]> {
  await sql`create table ${sql.table(shadow)} (like ${sql.table(table)} including all)`.execute(db);
  const { rows: flags } = await sql<{ rls: boolean; forced: boolean }>`
    select relrowsecurity as rls, relforcerowsecurity as forced from pg_class where oid = ${table}::regclass`.execute(
    db,
  );
  if (flags[0]?.rls) await sql`alter table ${sql.table(shadow)} enable row level security`.execute(db);
  if (flags[0]?.forced) await sql`alter table ${sql.table(shadow)} force row level security`.execute(db);
  const { rows: policies } = await sql<{
    name: string;
    permissive: string;
    command: string;
    roles: string[];
    using: string | null;
    check: string | null;
  }>`
    select policyname as name, permissive, cmd as command, roles::text[] as roles, qual as using, with_check as check
    from pg_policies where schemaname = current_schema() and tablename = ${table}`.execute(db);
  for (const policy of policies) {
    await sql`create policy ${sql.id(policy.name)} on ${sql.table(shadow)} as ${sql.raw(policy.permissive)}
      for ${sql.raw(policy.command)} to ${sql.join(policy.roles.map((role) => (role === 'public' ? sql`public` : sql.id(role))))}
      ${policy.using ? sql`using (${sql.raw(policy.using)})` : sql``} ${policy.check ? sql`with check (${sql.raw(policy.check)})` : sql``}`.execute(
      db,
    );
  }
  // The live table's grants: what each role may do with it.
  const { rows: grants } = await sql<{ grantee: string; privileges: string }>`
    select grantee, string_agg(privilege_type, ', ') as privileges from information_schema.role_table_grants
    where table_schema = current_schema() and table_name = ${table} and grantee in ('ledger_app', 'ledger_projector')
    group by grantee`.execute(db);
  for (const grant of grants) {
    await sql`grant ${sql.raw(grant.privileges)} on ${sql.table(shadow)} to ${sql.id(grant.grantee)}`.execute(db);
  }
  const { rows: secondary } = await sql<{ name: string; definition: string }>`
    select c.relname as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i join pg_class c on c.oid = i.indexrelid
    where i.indrelid = ${shadow}::regclass and not i.indisunique and not i.indisprimary`.execute(db);
  for (const index of secondary) await sql`drop index ${sql.table(index.name)}`.execute(db);
  return secondary.map((index) => index.definition);
}

/** Postgres errors that a retry resolves: a deadlock, a lock not available, a serialization failure. */
const TRANSIENT = new Set(['40P01', '55P03', '40001']);

/**
 * The swap renames tables that live runners, readers and the evidence watch are using: under load it can lose a
 * deadlock to one of them. It is all or nothing, so it is simply tried again.
 */
async function swapTransaction<T>(db: Kysely<unknown>, work: (trx: Transaction<unknown>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 5 || !code || !TRANSIENT.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

export interface RebuildManyOptions extends Omit<RebuildOptions, 'projection'> {
  projections: readonly AnyProjection[];
}

export interface RebuildResult {
  projection: string;
  position: Position;
  applied: number;
}

/**
 * Applies one batch of the log to each projection's shadow tables, each projection in a transaction of its own, side
 * by side (the database works on them in parallel while the next batch is read). Their commits need not wait for the
 * disk (synchronous_commit off): until the swap, which commits normally, a crash only means rebuilding again.
 */
async function applyToShadows(
  db: Kysely<unknown>,
  projections: readonly AnyProjection[],
  events: readonly RecordedEvent[],
  shadowOf: (table: string) => string,
): Promise<void> {
  await Promise.all(
    projections.map((projection) => {
      const mine = events.filter((event) => handles(projection, event));
      if (mine.length === 0) return undefined;
      return db.transaction().execute(async (trx) => {
        await asProjection(trx);
        await sql`set local synchronous_commit = off`.execute(trx);
        await applyAll(projection, trx, mine, shadowOf);
      });
    }),
  );
}

/**
 * Reads the log once from `from` for all these projections, applying it batch by batch to their shadow tables; the
 * next batch is read while the current one is written. Returns how far the log has been read.
 */
async function replayIntoShadows(
  options: RebuildManyOptions,
  shadowOf: (table: string) => string,
  from: Position,
  onBatch: (events: number) => void,
): Promise<Position> {
  const { projections, eventStore, database } = options;
  const types = eventTypesOf(projections);
  // Everything up to the head as it is now will have been read: that, not the last event of these types, is how far
  // the shadows are complete (a live runner's checkpoint may well stand on an event of other types).
  const head = await eventStore.headPosition();
  let position = from;
  let writing: Promise<void> = Promise.resolve();
  let batch: RecordedEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    await writing; // one batch in flight at a time, in order
    writing = applyToShadows(database.db, projections, events, shadowOf).then(() => onBatch(events.length));
    writing.catch(() => {}); // awaited at the next flush; until then a failure must not count as unhandled
    position = events[events.length - 1]!.position;
  };
  for await (const event of eventStore.readAll({ from, types, batchSize: BATCH })) {
    batch.push(event);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await writing;
  return maxPosition(position, head);
}

/**
 * Rebuilds projections from the start of the log into shadow copies of their tables while the live ones keep serving,
 * reading the log once for all of them; then, for each, in one transaction holding its checkpoint, swaps the shadows
 * in and saves the checkpoint. Projections only write rows, so a rebuild sends nothing anywhere (no Kafka, no mail).
 */
export async function rebuildProjections(options: RebuildManyOptions): Promise<RebuildResult[]> {
  const { projections, eventStore, database, onProgress } = options;
  const db = database.db;
  const now = Math.floor(Date.now() / 1000);
  const run = `${now.toString(36)}_${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
  const shadowOf = (table: string): string => shadowName(table, run);
  const deferredIndexes: string[] = [];
  for (const projection of projections) {
    for (const table of projection.tables) {
      await dropStaleShadows(db, table, now);
      deferredIndexes.push(...(await createShadow(db, table, shadowOf(table))));
    }
  }
  const total = eventStore.countEvents ? await eventStore.countEvents({ types: eventTypesOf(projections) }) : null;
  let applied = 0;
  const progress = (events: number) => {
    applied += events;
    onProgress?.({ applied, total });
  };
  const shared = await replayIntoShadows(options, shadowOf, START, progress);
  for (const definition of deferredIndexes) await sql.raw(definition).execute(db);

  // Catch up with what was appended meanwhile, then swap under the checkpoint's row lock. The log is read outside
  // the transaction (the embedded database has a single connection); if a live runner got further than this rebuild
  // in the meantime, the swap is called off and the catch-up goes round again, so nothing it applied is lost.
  const results: RebuildResult[] = [];
  for (const projection of projections) {
    let position = shared;
    for (;;) {
      position = await replayIntoShadows({ ...options, projections: [projection] }, shadowOf, position, progress);
      const at = position;
      const swapped = await swapTransaction(db, async (trx) => {
        const live = await lockCheckpoint(trx, checkpointName(projection));
        if (live && comparePositions(live, at) > 0) return false;
        for (const table of projection.tables) {
          await sql`alter table ${sql.table(table)} rename to ${sql.table(`${table}__old`)}`.execute(trx);
          await sql`alter table ${sql.table(shadowOf(table))} rename to ${sql.table(table)}`.execute(trx);
          await sql`drop table ${sql.table(`${table}__old`)}`.execute(trx);
        }
        await saveCheckpoint(trx, checkpointName(projection), at);
        return true;
      });
      if (swapped) break;
    }
    results.push({ projection: projection.name, position, applied });
    options.logger.info(
      { projection: projection.name, version: projection.version, position },
      'projection rebuilt and swapped in',
    );
  }
  onProgress?.({ applied, total: total === null ? null : Math.max(total, applied) });
  return results;
}

/** Rebuilds one projection (see rebuildProjections). */
export async function rebuildProjection(options: RebuildOptions): Promise<{ position: Position; applied: number }> {
  const [result] = await rebuildProjections({ ...options, projections: [options.projection] });
  return { position: result!.position, applied: result!.applied };
}
