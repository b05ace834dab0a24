import express, { type Router } from 'express';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import type { Database } from '../../infrastructure/database/database.js';
import { comparePositions, isPosition, type Position } from '../../infrastructure/event-store/position.js';
import type { EventStore, RecordedEvent } from '../../infrastructure/event-store/types.js';
import { authOf, requirePermission } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { parseAsOf } from '../point-in-time/replay.js';
import { historyDiff } from './diff.js';
import { scopeOf, verifyFor } from './client-scope.js';

const SECRET_KEYS = /password|secret|token/i;

/** Credentials stay hidden from history, sealed or not: password hashes, token hashes, webhook secrets. */
function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : withoutSecrets(v)]),
    );
  return value;
}

async function shown(event: RecordedEvent, vault: PersonalDataVault) {
  const { tenantId: _tenant, hash, previousHash, ...metadata } = event.metadata;
  return {
    eventId: event.id,
    streamId: event.streamId,
    revision: event.revision,
    position: event.position,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: withoutSecrets(await vault.reveal(event.data)),
    metadata: { ...metadata, hash, previousHash },
  };
}

const MAX_EVENTS = 500;

/** Mounted at /history: the tenant's log as auditors replay it, and its hash-chain verification. */
export function historyRoutes(database: Database, eventStore: EventStore, vault: PersonalDataVault): Router {
  const router = express.Router();

  router.get('/streams/:streamId', requirePermission('audit:read'), async (req, res) => {
    const actor = authOf(res);
    const streamId = String(req.params.streamId);
    if (!streamId.startsWith(`${actor.tenantId}/`))
      throw new HttpProblem(404, 'not-found', 'Not found', 'No such stream in your tenant.');
    const scope = scopeOf(eventStore, actor);
    const stream = await eventStore.readStream(streamId);
    const events = scope ? await collect(scope.filter(stream)) : stream;
    if (events.length === 0) throw new HttpProblem(404, 'not-found', 'Not found', 'No such stream in your tenant.');
    res.json({ data: await Promise.all(events.map((e) => shown(e, vault))), meta: { total: events.length } });
  });

  router.get('/events', requirePermission('audit:read'), async (req, res) => {
    const actor = authOf(res);
    const after = req.query.after === undefined ? undefined : String(req.query.after);
    if (after !== undefined && !isPosition(after))
      throw new HttpProblem(400, 'validation', 'The request is not valid', 'after is not a position', {
        errors: [{ field: 'after', message: 'expected a position from meta.next' }],
      });
    const size = Math.min(MAX_EVENTS, Math.max(1, Number(req.query.size ?? 100) || 100));
    const types = req.query.type === undefined ? undefined : String(req.query.type).split(',');
    const from = req.query.from === undefined ? null : Date.parse(String(req.query.from));
    const to = req.query.to === undefined ? null : Date.parse(String(req.query.to));
    if (Number.isNaN(from) || Number.isNaN(to))
      throw new HttpProblem(400, 'validation', 'The request is not valid', 'from and to are ISO 8601 times', {
        errors: [{ field: Number.isNaN(from) ? 'from' : 'to', message: 'expected an ISO 8601 time' }],
      });
    const scope = scopeOf(eventStore, actor);
    const page: RecordedEvent[] = [];
    let last: Position | null = null;
    for await (const event of eventStore.readAll({
      tenantId: actor.tenantId,
      types,
      from: after as Position | undefined,
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
    res.json({ data: await Promise.all(page.map((e) => shown(e, vault))), meta: { size: page.length, next } });
  });

  router.get('/diff', requirePermission('audit:read'), async (req, res) => {
    const actor = authOf(res);
    for (const field of ['from', 'to'] as const) {
      if (req.query[field] === undefined)
        throw new HttpProblem(400, 'validation', 'The request is not valid', `${field} is required`, {
          errors: [{ field, message: 'required: an ISO 8601 time or a position' }],
        });
    }
    const from = parseAsOf(String(req.query.from), 'from');
    const to = parseAsOf(String(req.query.to), 'to');
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
    const asked = req.query.clientId === undefined ? null : String(req.query.clientId);
    if (actor.clientId !== null && asked !== null && asked !== actor.clientId)
      throw new HttpProblem(404, 'not-found', 'Not found', 'No such client.');
    res.json({
      data: await historyDiff(database, eventStore, actor, from, to, actor.clientId ?? asked),
      meta: {},
    });
  });

  router.get('/verify', requirePermission('audit:read'), async (_req, res) => {
    const actor = authOf(res);
    const result = await verifyFor(eventStore, actor.tenantId, scopeOf(eventStore, actor));
    res.json({ data: { tenantId: actor.tenantId, ...result, verifiedAt: new Date().toISOString() }, meta: {} });
  });

  return router;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
