import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../infrastructure/database/database.js';
import type { RecordedEvent } from '../../infrastructure/event-store/types.js';
import { asProjection } from '../../infrastructure/read-models/tenant-scope.js';
import { applyAll, liveTable, type AnyProjection } from '../../projections/projection.js';

/** An event as a spec gives it: its stream (under the spec's tenant), type and data; the rest is filled in. */
export interface GivenEvent {
  stream: string;
  type: string;
  data: object;
  recordedAt?: string;
}

let sequence = 0;

/**
 * Given these events, then these rows: one projection applied as the runner applies it (one batch, in one
 * transaction, as ledger_projector) to a real, migrated schema, for a tenant of the spec's own.
 */
export function projectionSpecification(database: Database, projection: AnyProjection) {
  return {
    given(events: GivenEvent[]) {
      const tenantId = randomUUID();
      const revisions = new Map<string, number>();
      const recorded: RecordedEvent[] = events.map((event) => {
        const streamId = `${tenantId}/${event.stream}`;
        const revision = revisions.get(streamId) ?? 0;
        revisions.set(streamId, revision + 1);
        sequence += 1;
        return {
          id: randomUUID(),
          streamId,
          revision,
          position: `${String(sequence).padStart(20, '0')}-${String(sequence).padStart(20, '0')}`,
          type: event.type,
          schemaVersion: 1,
          data: event.data,
          metadata: {
            tenantId,
            actorId: 'user-1',
            correlationId: 'correlation-1',
            causationId: null,
            recordedAt: event.recordedAt ?? '2026-03-01T09:00:00.000Z',
            previousHash: '0'.repeat(64),
            hash: '0'.repeat(64),
          },
        } as RecordedEvent;
      });
      return {
        tenantId,
        /** The rows of `table` for the spec's tenant, ordered by `orderBy`, are these (each matched, not equalled). */
        async then(table: string, rows: Array<Record<string, unknown>>, orderBy = '1') {
          await database.db.transaction().execute(async (trx) => {
            await asProjection(trx);
            await applyAll(projection, trx, recorded, liveTable);
          });
          const { rows: actual } = await sql<Record<string, unknown>>`
            select * from ${sql.table(table)} where tenant_id = ${tenantId} order by ${sql.raw(orderBy)}`.execute(
            database.db,
          );
          expect(actual).toEqual(rows.map((row) => expect.objectContaining(row)));
        },
      };
    },
  };
}
