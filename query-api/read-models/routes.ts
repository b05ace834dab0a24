import express, { type Request, type RequestHandler, type Router } from 'express';
import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../infrastructure/database/database.js';
import type { CommandRefusedData } from '../../command-api/http/refusals.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { authOf, requirePermission, type Authenticated } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { auditLogProjection } from '../../projections/read-models/audit-log.js';
import { violationsProjection } from '../../projections/read-models/violations.js';
import { minPosition } from '../http/min-position.js';
import { listMeta, pageOf, type Page } from '../http/pagination.js';

const iso = (value: unknown): string => new Date(value as string).toISOString();

/** Conditions joined with AND; `true` when there are none. */
const where = (conditions: RawBuilder<unknown>[]) =>
  conditions.length > 0 ? sql.join(conditions, sql` and `) : sql`true`;

function timeRange(req: Request, column: string): RawBuilder<unknown>[] {
  const conditions: RawBuilder<unknown>[] = [];
  for (const [param, op] of [
    ['from', '>='],
    ['to', '<'],
  ] as const) {
    const value = req.query[param];
    if (value === undefined) continue;
    if (Number.isNaN(Date.parse(String(value))))
      throw new HttpProblem(400, 'validation', 'The request is not valid', `${param} is not a time`, {
        errors: [{ field: param, message: 'expected an ISO 8601 time' }],
      });
    conditions.push(sql`${sql.ref(column)} ${sql.raw(op)} ${new Date(String(value)).toISOString()}::timestamptz`);
  }
  return conditions;
}

/** Client-scoped users see their client only, whatever they ask for. */
function clientFilter(req: Request, actor: Authenticated): string | undefined {
  const asked = req.query.clientId === undefined ? undefined : String(req.query.clientId);
  if (actor.clientId === null) return asked;
  if (asked !== undefined && asked !== actor.clientId) return '00000000-0000-0000-0000-000000000000';
  return actor.clientId;
}

/** Mounted at the API root: lists and single resources from the read models, under row-level security. */
export function readModelRoutes(
  database: Database,
  eventStore: EventStore,
  vault: PersonalDataVault,
  waitMs: number,
  authenticated: RequestHandler,
): Router {
  const router = express.Router();
  const db = database.db;
  /** One page of a read model for the caller's tenant, with the total of matching rows. */
  const pageFrom = async (
    actor: Authenticated,
    table: string,
    conditions: RawBuilder<unknown>[],
    order: RawBuilder<unknown>,
    page: Page,
  ) => {
    const { rows } = await asTenant(db, actor, (trx) =>
      sql<Record<string, unknown> & { total: string }>`
        select *, count(*) over ()::text as total from ${sql.table(table)} where ${where(conditions)}
        order by ${order} limit ${page.size} offset ${page.offset}`.execute(trx),
    );
    return { rows, meta: listMeta(page, Number(rows[0]?.total ?? 0)) };
  };
  const wait = (...projections: Parameters<typeof minPosition>[2]) =>
    minPosition(database, eventStore, projections, waitMs);

  router.get(
    '/violations',
    authenticated,
    requirePermission('violation:read'),
    wait(violationsProjection),
    async (req, res) => {
      const actor = authOf(res);
      const page = pageOf(req);
      const conditions = timeRange(req, 'occurred_at');
      const clientId = clientFilter(req, actor);
      if (clientId) conditions.push(sql`client_id = ${clientId}`);
      for (const [param, column] of [
        ['severity', 'severity'],
        ['kind', 'kind'],
        ['action', 'action'],
        ['aiServiceId', 'ai_service_id'],
      ] as const) {
        if (req.query[param] !== undefined) conditions.push(sql`${sql.ref(column)} = ${String(req.query[param])}`);
      }
      const direction = req.query.sort === 'occurredAt' ? sql`asc` : sql`desc`;
      const { rows, meta } = await pageFrom(
        actor,
        'violations',
        conditions,
        sql`occurred_at ${direction}, violation_id`,
        page,
      );
      res.json({
        data: rows.map((r) => ({
          violationId: r.violation_id,
          clientId: r.client_id,
          kind: r.kind,
          severity: r.severity,
          action: r.action,
          aiServiceId: r.ai_service_id,
          analysisId: r.analysis_id,
          evidenceId: r.evidence_id,
          entityCounts: r.entity_counts,
          reasons: r.reasons,
          occurredAt: iso(r.occurred_at),
          position: r.position,
        })),
        meta,
      });
    },
  );

  router.get('/audit', authenticated, requirePermission('audit:read'), wait(auditLogProjection), async (req, res) => {
    const actor = authOf(res);
    if (actor.clientId !== null)
      throw new HttpProblem(
        403,
        'forbidden',
        'Forbidden',
        "The audit log is the MSP's: client-scoped roles do not read it.",
      );
    const page = pageOf(req);
    const conditions = timeRange(req, 'recorded_at');
    if (req.query.actorId) conditions.push(sql`actor_id = ${String(req.query.actorId)}`);
    if (req.query.type) conditions.push(sql`event_type = ${String(req.query.type)}`);
    if (req.query.outcome) conditions.push(sql`outcome = ${String(req.query.outcome)}`);
    const { rows, meta } = await pageFrom(actor, 'audit_log', conditions, sql`position desc`, page);
    res.json({ data: rows.map(auditEntryOf), meta });
  });

  router.get(
    '/audit/export',
    authenticated,
    requirePermission('audit:read'),
    wait(auditLogProjection),
    async (req, res) => {
      const actor = authOf(res);
      if (actor.clientId !== null)
        throw new HttpProblem(
          403,
          'forbidden',
          'Forbidden',
          "The audit log is the MSP's: client-scoped roles do not read it.",
        );
      const format = req.query.format === 'jsonl' ? 'jsonl' : 'csv';
      const range = timeRange(req, 'recorded_at');
      res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.${format}"`,
      );
      if (format === 'csv') res.write(`${AUDIT_COLUMNS.join(',')}\n`);
      // Keyset pages of 1,000 rows, written as they come: the log is never held whole in memory.
      let after = '';
      for (;;) {
        const { rows } = await asTenant(db, actor, (trx) =>
          sql<Record<string, unknown>>`
          select * from audit_log where ${where([...range, sql`position > ${after}`])}
          order by position limit 1000`.execute(trx),
        );
        for (const r of rows) {
          const entry = auditEntryOf(r);
          const flat = {
            ...entry,
            command: entry.refusal ? `${entry.refusal.method} ${entry.refusal.path}` : null,
            status: entry.refusal?.status ?? null,
            reason: entry.refusal?.title ?? null,
          };
          const line =
            format === 'csv' ? AUDIT_COLUMNS.map((column) => csvField(flat[column])).join(',') : JSON.stringify(entry);
          if (!res.write(`${line}\n`)) await new Promise((resolve) => res.once('drain', resolve));
        }
        if (rows.length < 1000) break;
        after = String(rows[rows.length - 1]!.position);
      }
      res.end();
    },
  );

  return router;
}

const AUDIT_COLUMNS = [
  'position',
  'eventId',
  'streamId',
  'type',
  'actorId',
  'correlationId',
  'ip',
  'recordedAt',
  'outcome',
  'command',
  'status',
  'reason',
] as const;

/** One audit entry: a recorded event, or a refused command with what was asked and why it was refused. */
function auditEntryOf(r: Record<string, unknown>) {
  return {
    position: r.position,
    eventId: r.event_id,
    streamId: r.stream_id,
    type: r.event_type,
    actorId: r.actor_id,
    correlationId: r.correlation_id,
    ip: r.ip,
    recordedAt: iso(r.recorded_at),
    outcome: r.outcome as 'recorded' | 'refused',
    refusal: (r.refusal ?? null) as CommandRefusedData | null,
  };
}

/**
 * What may make a spreadsheet read a cell as a formula (OWASP, CSV injection): a leading =, +, -, @, tab or carriage
 * return; a line feed too; and the full-width ＝ ＋ － ＠, which some spreadsheets take for the ASCII ones.
 */
const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

/** RFC 4180 quoting, and no spreadsheet formulas from data (a field that could start one gets a leading '). */
function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
