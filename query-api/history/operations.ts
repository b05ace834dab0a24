import { z } from 'zod';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import {
  comparePositions,
  isPosition,
  parsePosition,
  type Position,
} from '../../infrastructure/event-store/position.js';
import type { RecordedEvent } from '../../infrastructure/event-store/types.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, ListMeta, Paging, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { notFound, pageOfItems, timeRange, visibleClient, type ReadDeps } from '../http/reads.js';
import { parseAsOf } from '../point-in-time/replay.js';
import { scopeOf, verifyFor } from './client-scope.js';
import { Diff, historyDiff } from './diff.js';
import { HistoryEvent, historyEventOf } from './events.js';

const read = { permission: 'audit:read' } as const;
const MAX_EVENTS = 500;

/** The tenant's log as auditors replay it: a stream, the whole log by position, what changed, the hash chains. */
export function historyReads(deps: ReadDeps & { vault: PersonalDataVault }) {
  const { eventStore, vault } = deps;
  const shown = (events: RecordedEvent[]) => Promise.all(events.map((event) => historyEventOf(event, vault)));
  return [
    operation({
      operationId: 'streamHistory',
      method: 'get',
      path: '/history/streams/{streamId}',
      tags: ['history'],
      summary: "One aggregate's events, in order (the stream id URL-encoded, as in violation links)",
      access: read,
      params: z.object({ streamId: z.string() }),
      query: Paging,
      answers: {
        200: {
          description: 'Events',
          schema: z.object({ data: z.array(HistoryEvent), meta: ListMeta }),
        },
        404: { description: 'No such stream in your tenant', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const { streamId } = req.params;
        if (!streamId.startsWith(`${actor.tenantId}/`)) throw notFound('stream in your tenant');
        const scope = scopeOf(eventStore, actor);
        const stream = await eventStore.readStream(streamId);
        const events = scope ? await collect(scope.filter(stream)) : stream;
        if (events.length === 0) throw notFound('stream in your tenant');
        const paged = pageOfItems(events, req.query);
        res.json({ data: await shown(paged.data), meta: paged.meta });
      },
    }),
    operation({
      operationId: 'tenantHistory',
      method: 'get',
      path: '/history/events',
      tags: ['history'],
      summary:
        "The tenant's log in global order, filtered by time and type, paginated by position (meta.next → ?after=)",
      access: read,
      query: z.object(timeRange()).extend({
        type: z.string().optional().describe('event types, comma-separated'),
        after: z
          .string()
          .refine(isPosition, 'expected a position from meta.next')
          .transform(parsePosition)
          .optional()
          .describe('meta.next of the previous page'),
        size: z.coerce.number().int().min(1).max(MAX_EVENTS).default(100),
      }),
      answers: {
        200: {
          description: 'Events',
          schema: z.object({
            data: z.array(HistoryEvent),
            meta: z.object({ size: z.int(), next: z.string().nullable() }),
          }),
        },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const { size } = req.query;
        const from = req.query.from?.getTime() ?? null;
        const to = req.query.to?.getTime() ?? null;
        const scope = scopeOf(eventStore, actor);
        const page: RecordedEvent[] = [];
        let last: Position | null = null;
        for await (const event of eventStore.readAll({
          tenantId: actor.tenantId,
          types: req.query.type?.split(','),
          from: req.query.after,
          batchSize: size + 1,
        })) {
          const at = Date.parse(event.metadata.recordedAt);
          last = event.position;
          if (to !== null && at >= to) break;
          if (from !== null && at < from) continue;
          if (scope && !(await scope.sees(event))) continue;
          if (page.length === size) break;
          page.push(event);
        }
        const next = page.length === size && last !== null ? page[page.length - 1]!.position : null;
        res.json({ data: await shown(page), meta: { size: page.length, next } });
      },
    }),
    operation({
      operationId: 'historyDiff',
      method: 'get',
      path: '/history/diff',
      tags: ['history'],
      summary:
        'What changed between two moments: requirement results, evidence added, expired or retired, policy versions and statuses, approvals, AI usage policy changes, roles, violations raised and every step of their workflow (status from and to), and every event of the period',
      access: read,
      query: z.object({
        from: z.string().describe('an ISO 8601 time or a log position'),
        to: z.string().describe('an ISO 8601 time or a log position, not before from'),
        clientId: Id.optional(),
      }),
      answers: {
        200: {
          description: 'The changes (each list capped at 500 items; truncated says so)',
          schema: z.object({ data: Diff, meta: z.object({}) }),
        },
        404: { description: 'No such client (clientId) that you may see', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const from = parseAsOf(req.query.from, 'from');
        const to = parseAsOf(req.query.to, 'to');
        if (
          from.kind === to.kind &&
          (from.kind === 'time'
            ? from.time > (to as typeof from).time
            : comparePositions(from.position, (to as typeof from).position) > 0)
        ) {
          throw new HttpProblem(400, 'validation', 'The request is not valid', 'to is before from', {
            errors: [{ field: 'to', message: 'must not be before from' }],
          });
        }
        // An MSP user's clientId is one of its own clients, as a client-scoped user's is its own: else a 404 alike.
        const clientId = await visibleClient(eventStore, actor, req.query.clientId);
        res.json({
          data: await historyDiff(deps.database, eventStore, actor, from, to, clientId),
          meta: {},
        });
      },
    }),
    operation({
      operationId: 'verifyHistory',
      method: 'get',
      path: '/history/verify',
      tags: ['history'],
      summary: "Recomputes the tenant's hash chains and reports the first broken link, if any",
      access: read,
      answers: {
        200: {
          description: 'Verification',
          schema: z.object({
            data: z.object({
              tenantId: z.string(),
              ok: z.boolean(),
              eventsChecked: z.int(),
              verifiedAt: Timestamp,
              firstBreak: z.record(z.string(), z.unknown()).optional(),
            }),
            meta: z.object({}),
          }),
        },
      },
      async handler(_req, res) {
        const actor = authOf(res);
        const result = await verifyFor(eventStore, actor.tenantId, scopeOf(eventStore, actor));
        res.json({ data: { tenantId: actor.tenantId, ...result, verifiedAt: new Date().toISOString() }, meta: {} });
      },
    }),
  ];
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
