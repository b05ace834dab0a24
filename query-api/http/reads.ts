import { sql, type Expression, type Kysely, type SqlBool, type Transaction } from 'kysely';
import { z } from 'zod';
import { clientStream } from '../../domain/clients/client.js';
import type { Database } from '../../infrastructure/database/database.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import type { Authenticated } from '../../infrastructure/http/authentication.js';
import { type Paging } from '../../infrastructure/http/contract/schemas.js';
import { notFound } from '../../infrastructure/http/problem.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import type { AnyProjection } from '../../projections/projection.js';
import type { ReadModels } from '../../projections/read-models/tables.js';
import { scopeOf } from '../history/client-scope.js';
import { atMoment, parseAsOf } from '../point-in-time/replay.js';

/** What the read side's operations read from. */
export interface ReadDeps {
  database: Database;
  eventStore: EventStore;
}

/** The read models, typed. */
export const readModels = (database: Database): Kysely<ReadModels> => database.db as Kysely<ReadModels>;

export { notFound };

/** Client-scoped users read their own client's resources only; another client's is "not found". */
export function ownedBy<Row extends { client_id: string | null }>(
  actor: Authenticated,
  row: Row | undefined,
  what: string,
): Row {
  if (!row || (actor.clientId !== null && row.client_id !== actor.clientId)) throw notFound(what);
  return row;
}

/** The client a list is about: the one asked for, and for a client-scoped user never another (an empty list). */
export function clientOfList(asked: string | undefined, actor: Authenticated): string | undefined {
  if (actor.clientId === null) return asked;
  if (asked !== undefined && asked !== actor.clientId) return '00000000-0000-0000-0000-000000000000';
  return actor.clientId;
}

/**
 * A clientId a read is about, not a filter (one resource for that client, a diff, a report): a client the caller may
 * not see is a 404 naming `clientId`, for a client-scoped user another client, for an MSP user one not in its tenant.
 * Lists filtered by ?clientId= narrow instead (clientOfList: another client's rows are simply not there).
 * Without one, the caller's own client (null for an MSP user).
 */
export async function visibleClient(
  eventStore: EventStore,
  actor: Authenticated,
  clientId: string | undefined,
): Promise<string | null> {
  if (clientId === undefined) return actor.clientId;
  if (actor.clientId !== null && clientId !== actor.clientId) throw notFound('client', 'clientId');
  if (actor.clientId === null) {
    const [created] = await eventStore.readStream(clientStream(actor.tenantId, clientId), { maxCount: 1 });
    if (!created) throw notFound('client', 'clientId');
  }
  return clientId;
}

/** ?asOf= on a single resource: an ISO 8601 time (not in the future) or a log position. */
export const AsOf = z
  .string()
  .optional()
  .describe('an ISO 8601 time (not in the future) or a log position: the state as it was then, replayed from the log');

/**
 * A single resource now, or as it was at ?asOf: the same `read` runs over the live read models, or over the
 * resource's own stream (without `streamId`: the tenant's whole log) replayed up to then by the same projections.
 * `at` is the moment read (for freshness), `position` the last one replayed (null when live).
 */
export async function readAt<T>(
  deps: ReadDeps,
  actor: Authenticated,
  asOf: string | undefined,
  target: { projections: readonly AnyProjection[]; streamId?: string },
  read: (trx: Transaction<ReadModels>, at: string, position: string | null) => Promise<T>,
): Promise<{ data: T; meta: { asOf?: string; position?: string | null } }> {
  if (asOf === undefined) {
    return {
      data: await asTenant(readModels(deps.database), actor, (trx) => read(trx, new Date().toISOString(), null)),
      meta: {},
    };
  }
  return atMoment(
    deps.database,
    deps.eventStore,
    {
      tenantId: actor.tenantId,
      asOf: parseAsOf(asOf),
      projections: target.projections,
      streamId: target.streamId,
      reader: scopeOf(deps.eventStore, actor),
    },
    async (trx, moment) => ({
      data: await read(trx as unknown as Transaction<ReadModels>, moment.at, moment.position),
      meta: { asOf: moment.at, position: moment.position },
    }),
  );
}

/** ?page= and ?size= as parsed, with the offset they mean. */
export function pageOf(query: z.output<typeof Paging>) {
  return { page: query.page, size: query.size, offset: (query.page - 1) * query.size };
}

/** A list's meta, from its page and the number of matching rows. */
export function listMeta(page: { page: number; size: number }, total: number) {
  return { total, page: page.page, size: page.size, pages: Math.ceil(total / page.size) };
}

/** A page of a short list held in memory (frameworks, webhooks, a policy's versions…), with its meta. */
export function pageOfItems<T>(items: readonly T[], query: z.output<typeof Paging>) {
  const paging = pageOf(query);
  return { data: items.slice(paging.offset, paging.offset + paging.size), meta: listMeta(paging, items.length) };
}

/** `like` text for a `contains` search: its wildcards taken literally. */
export const containing = (text: string): string => `%${text.replace(/[%_\\]/g, '\\$&')}%`;

/** A time in a query as people type it: what the document calls a date-time, read by Date (400 when it cannot be). */
const QueryTime = z
  .string()
  .meta({ format: 'date-time' })
  .refine((text) => !Number.isNaN(Date.parse(text)), 'expected an ISO 8601 time')
  .transform((text) => new Date(text));

/** ?from= (inclusive) and ?to= (exclusive) over a list's times, to spread into its query; `what` says which time. */
export const timeRange = (what?: string) => ({
  from: QueryTime.optional().describe(what ? `inclusive: ${what}` : 'inclusive'),
  to: QueryTime.optional().describe(what ? `exclusive: ${what}` : 'exclusive'),
});

/** The condition that a row's time `column` falls in ?from= … ?to= (true when neither is given). */
export function during(column: string, range: { from?: Date; to?: Date }): Expression<SqlBool> {
  const conditions = [
    ...(range.from ? [sql`${sql.ref(column)} >= ${range.from}::timestamptz`] : []),
    ...(range.to ? [sql`${sql.ref(column)} < ${range.to}::timestamptz`] : []),
  ];
  return conditions.length > 0 ? sql<SqlBool>`${sql.join(conditions, sql` and `)}` : sql<SqlBool>`true`;
}
