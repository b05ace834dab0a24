import { sql } from 'kysely';
import { expect } from 'vitest';
import { openDatabase } from '../../infrastructure/database/database.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { services } from './services.js';
import type { TestLedger } from './ledger.js';

export interface ExpectedEvent {
  type: string;
  /** The stream, under the tenant (`client/<id>`). */
  stream?: string;
  data?: object;
}

/**
 * Given these events, when this request, then this answer and these new events: the API spec, through HTTP against a
 * whole ledger. The given events are appended to the ledger's own store, in the tenant of `as` (a signed-up MSP).
 */
export function apiSpecification(ledger: TestLedger, as: { tenantId: string; userId: string; accessToken: string }) {
  async function withStore<T>(
    work: (store: PostgresEventStore, db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
  ) {
    const database = await openDatabase({
      kind: 'postgres',
      url: services.databaseUrl!,
      schema: ledger.config.DATABASE_SCHEMA,
      poolSize: 1,
    });
    try {
      return await work(new PostgresEventStore(database), database);
    } finally {
      await database.close();
    }
  }
  const metadata = { tenantId: as.tenantId, actorId: as.userId, correlationId: 'spec-given' };

  return {
    given(streams: Record<string, Array<{ type: string; data: object }>> = {}) {
      return {
        when(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
          return {
            async then(answer: { status: number; body?: unknown }, events: ExpectedEvent[] = []) {
              await withStore(async (store) => {
                for (const [stream, given] of Object.entries(streams)) {
                  await store.append(
                    `${as.tenantId}/${stream}`,
                    given.map((event) => ({ ...event, metadata })),
                    { expectedRevision: 'any' },
                  );
                }
              });
              const before = await withStore(async (_store, db) => {
                const { rows } = await sql<{
                  n: string;
                }>`select coalesce(max(global_position), 0)::text as n from events`.execute(db.db);
                return Number(rows[0]!.n);
              });
              const response = await ledger.request(method, path, { token: as.accessToken, body, headers });
              expect({ status: response.status, body: response.body }).toEqual({
                status: answer.status,
                body: answer.body === undefined ? response.body : answer.body,
              });
              const appended = await withStore(async (_store, db) => {
                const { rows } = await sql<{ stream_id: string; type: string; data: object }>`
                  select stream_id, type, data from events
                  where global_position > ${before} and tenant_id = ${as.tenantId} and type <> 'CommandRefused'
                  order by global_position`.execute(db.db);
                return rows.map((row) => ({
                  stream: row.stream_id.slice(as.tenantId.length + 1),
                  type: row.type,
                  data: row.data,
                }));
              });
              expect(appended).toEqual(
                events.map((event) =>
                  expect.objectContaining({
                    type: event.type,
                    ...(event.stream ? { stream: event.stream } : {}),
                    ...(event.data ? { data: expect.objectContaining(event.data) } : {}),
                  }),
                ),
              );
            },
          };
        },
      };
    },
  };
}
