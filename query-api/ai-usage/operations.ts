import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import { authOf, type Authenticated } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { idList, ListMeta, Paging, Position, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import {
  AiUsageDay,
  aiUsageDayOf,
  gatewayRequestsProjection,
  sumsOf,
  usageSums,
  type UsageSums,
} from '../../projections/read-models/gateway-requests.js';
import { minPosition } from '../http/min-position.js';
import { AsOf, listMeta, pageOf, readModels, type ReadDeps } from '../http/reads.js';
import { parseAsOf, type AsOf as Moment } from '../point-in-time/replay.js';

/** The clients a list may show: those asked for, and for a client-scoped user never another (an empty list). */
function clientsOfList(asked: string[] | undefined, actor: Authenticated): string[] | undefined {
  if (actor.clientId === null) return asked;
  return (asked ?? [actor.clientId]).filter((id) => id === actor.clientId);
}

const UsageTotals = z.object({
  requests: z.int(),
  tokensIn: z.int(),
  tokensOut: z.int(),
  blocked: z.int(),
  redacted: z.int(),
});

const TopUser = z.object({
  userRefHash: z.string().describe("the keyed hash of the caller's user reference, never the reference"),
  requests: z.int(),
  tokens: z.int().describe('tokens in and out'),
});

/** The condition that picks a gateway request: its clients, its UTC days, and the moment the usage is as of. */
function chosen(filter: { clients?: string[]; from?: string; to?: string; asOf?: Moment }): RawBuilder<boolean> {
  const conditions = [
    ...(filter.clients ? [sql`client_id = any(${sql.val(filter.clients)}::text[])`] : []),
    ...(filter.from ? [sql`recorded_at >= (${filter.from}::date)::timestamp at time zone 'UTC'`] : []),
    ...(filter.to ? [sql`recorded_at < (${filter.to}::date + 1)::timestamp at time zone 'UTC'`] : []),
    ...(filter.asOf?.kind === 'time' ? [sql`recorded_at <= ${filter.asOf.time}::timestamptz`] : []),
    ...(filter.asOf?.kind === 'position' ? [sql`position <= ${filter.asOf.position}`] : []),
  ];
  return conditions.length > 0 ? sql<boolean>`${sql.join(conditions, sql` and `)}` : sql<boolean>`true`;
}

/** GET /ai-usage: the gateway's requests summed per client, AI service, model and UTC day, with the top users. */
export function aiUsageReads(deps: ReadDeps & { waitMs: number }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [gatewayRequestsProjection], deps.waitMs);
  return [
    operation({
      operationId: 'listAiUsage',
      method: 'get',
      path: '/ai-usage',
      tags: ['ai-governance'],
      summary:
        'Requests through the AI gateway per client, AI service, model and UTC day, newest day first: requests, tokens in and out, blocked, redacted; with the totals and the users who sent the most (hashed); now or as at asOf',
      description:
        'Every request the gateway recorded counts, whatever its outcome (completed, blocked, refused, failed). ' +
        '`blocked`: refused by the policy (outcome blocked or decision block); `redacted`: values replaced with ' +
        'placeholders in the prompt or the answer. `from` and `to` are UTC days, both included. `asOf` counts the ' +
        'requests recorded up to that time (or log position). The totals and top users are over every matching ' +
        'request, not only the page.',
      access: { permission: 'violation:read' },
      headers: ['X-Min-Position'],
      query: Paging.extend({
        clientId: idList('client').optional(),
        from: z.iso.date().optional().describe('the first UTC day counted (YYYY-MM-DD)'),
        to: z.iso.date().optional().describe('the last UTC day counted (YYYY-MM-DD), not before from'),
        asOf: AsOf,
      }),
      answers: {
        200: {
          description: 'Usage per client, service, model and day',
          schema: z.object({
            data: z.array(AiUsageDay),
            meta: ListMeta.extend({
              asOf: Timestamp.optional(),
              position: Position.optional(),
              totals: UsageTotals,
              topUsers: z.array(TopUser).describe('the 10 user references with the most requests'),
            }),
          }),
        },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { from, to } = req.query;
        if (from !== undefined && to !== undefined && to < from) {
          throw new HttpProblem(400, 'validation', 'The request is not valid', 'to is before from', {
            errors: [{ field: 'to', message: 'must not be before from' }],
          });
        }
        const asOf = req.query.asOf === undefined ? undefined : parseAsOf(req.query.asOf);
        const where = chosen({ clients: clientsOfList(req.query.clientId, actor), from, to, asOf });
        const paging = pageOf(req.query);
        const { days, totals, topUsers } = await asTenant(readModels(deps.database), actor, async (trx) => {
          const { rows: days } = await sql<
            UsageSums & { client_id: string; ai_service_id: string | null; model: string; day: string }
          >`
            select client_id, ai_service_id, model, to_char((recorded_at at time zone 'UTC')::date, 'YYYY-MM-DD') as day,
                   ${usageSums}
            from gateway_requests where ${where}
            group by client_id, ai_service_id, model, day
            order by day desc, client_id, ai_service_id nulls last, model
            limit ${paging.size} offset ${paging.offset}`.execute(trx);
          // Counted apart from the page, so that a page past the end still says how many there are.
          const { rows: totals } = await sql<UsageSums & { groups: string }>`
            select ${usageSums}, (select count(*) from (select from gateway_requests where ${where}
              group by client_id, ai_service_id, model, (recorded_at at time zone 'UTC')::date) as g) as groups
            from gateway_requests where ${where}`.execute(trx);
          const { rows: topUsers } = await sql<{ user_ref_hash: string; requests: string; tokens: string }>`
            select user_ref_hash, count(*) as requests, coalesce(sum(tokens_in + tokens_out), 0) as tokens
            from gateway_requests where ${where} and user_ref_hash is not null
            group by user_ref_hash order by requests desc, tokens desc, user_ref_hash limit 10`.execute(trx);
          return { days, totals: totals[0]!, topUsers };
        });
        res.json({
          data: days.map(aiUsageDayOf),
          meta: {
            ...listMeta(paging, Number(totals.groups)),
            ...(asOf?.kind === 'time' ? { asOf: asOf.time } : {}),
            ...(asOf?.kind === 'position' ? { position: asOf.position } : {}),
            totals: sumsOf(totals),
            topUsers: topUsers.map((user) => ({
              userRefHash: user.user_ref_hash,
              requests: Number(user.requests),
              tokens: Number(user.tokens),
            })),
          },
        });
      },
    }),
  ];
}
