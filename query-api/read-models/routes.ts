import express, { type Request, type RequestHandler, type Router } from 'express';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../infrastructure/database/database.js';
import type { CommandRefusedData } from '../../command-api/http/refusals.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { authOf, requirePermission, type Authenticated } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { auditLogProjection } from '../../projections/read-models/audit-log.js';
import { policiesProjection } from '../../projections/read-models/policies.js';
import { violationsProjection } from '../../projections/read-models/violations.js';
import { assessmentsProjection } from '../../projections/read-models/assessments.js';
import type { AnyProjection } from '../../projections/projection.js';
import { atMoment, parseAsOf } from '../point-in-time/replay.js';
import { minPosition } from '../http/min-position.js';
import { listMeta, pageOf, type Page } from '../http/pagination.js';
import { scopeOf } from '../history/client-scope.js';

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
  /**
   * A single resource now, or as it was at ?asOf: the same `read` runs over the live read models, or over the
   * resource's own stream replayed up to then by the same projections. `at` is the moment read (for freshness).
   */
  const readAt = async <T>(
    req: Request,
    actor: Authenticated,
    projections: AnyProjection[],
    streamId: string,
    read: (trx: Transaction<unknown>, at: string) => Promise<T>,
  ) => {
    if (req.query.asOf === undefined)
      return { data: await asTenant(db, actor, (trx) => read(trx, new Date().toISOString())), meta: {} };
    const asOf = parseAsOf(String(req.query.asOf));
    return atMoment(
      database,
      eventStore,
      { tenantId: actor.tenantId, asOf, projections, streamId, reader: scopeOf(eventStore, actor) },
      async (trx, moment) => ({
        data: await read(trx, moment.at),
        meta: { asOf: moment.at, position: moment.position },
      }),
    );
  };
  const one = async (trx: Transaction<unknown>, query: RawBuilder<Record<string, unknown>>, what: string) => {
    const row = (await query.execute(trx)).rows[0];
    if (!row) throw new HttpProblem(404, 'not-found', 'Not found', `No such ${what}.`);
    return row;
  };
  /** Client-scoped users read their own client's resources only; others are "not found", not "forbidden". */
  const ownedBy = (actor: Authenticated, row: Record<string, unknown>, what: string) => {
    if (actor.clientId !== null && row.client_id !== actor.clientId)
      throw new HttpProblem(404, 'not-found', 'Not found', `No such ${what}.`);
    return row;
  };
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
    '/policies',
    authenticated,
    requirePermission('policy:read'),
    wait(policiesProjection),
    async (req, res) => {
      const actor = authOf(res);
      const page = pageOf(req);
      const conditions: RawBuilder<unknown>[] = [];
      const clientId = clientFilter(req, actor);
      if (clientId) conditions.push(sql`client_id = ${clientId}`);
      if (req.query.status) conditions.push(sql`status = ${String(req.query.status)}`);
      if (req.query.frameworkId) conditions.push(sql`framework_id = ${String(req.query.frameworkId)}`);
      conditions.push(...timeRange(req, 'updated_at'));
      const order =
        req.query.sort === 'title'
          ? sql`title, policy_id`
          : req.query.sort === 'createdAt'
            ? sql`created_at desc, policy_id`
            : sql`updated_at desc, policy_id`;
      const { rows, meta } = await pageFrom(actor, 'policies', conditions, order, page);
      res.json({ data: rows.map(policyOf), meta });
    },
  );

  const policyStream = (actor: Authenticated, policyId: string) => `${actor.tenantId}/policy/${policyId}`;
  const policyRow = async (trx: Transaction<unknown>, actor: Authenticated, policyId: string) =>
    ownedBy(actor, await one(trx, sql`select * from policies where policy_id = ${policyId}`, 'policy'), 'policy');

  router.get(
    '/policies/:id',
    authenticated,
    requirePermission('policy:read'),
    wait(policiesProjection),
    async (req, res) => {
      const actor = authOf(res);
      const policyId = String(req.params.id);
      res.json(
        await readAt(req, actor, [policiesProjection], policyStream(actor, policyId), async (trx) => {
          const policy = await policyRow(trx, actor, policyId);
          const { rows } = await sql<{ content: string; content_hash: string }>`
          select content, content_hash from policy_versions where policy_id = ${policyId} and version = ${policy.current_version as number}`.execute(
            trx,
          );
          return { ...policyOf(policy), content: rows[0]?.content ?? '', contentHash: rows[0]?.content_hash ?? '' };
        }),
      );
    },
  );

  router.get(
    '/policies/:id/versions',
    authenticated,
    requirePermission('policy:read'),
    wait(policiesProjection),
    async (req, res) => {
      const actor = authOf(res);
      const policyId = String(req.params.id);
      const { data, meta } = await readAt(
        req,
        actor,
        [policiesProjection],
        policyStream(actor, policyId),
        async (trx) => {
          await policyRow(trx, actor, policyId);
          const versions = await sql<
            Record<string, unknown>
          >`select version, content_hash, author_id, created_at from policy_versions where policy_id = ${policyId} order by version`.execute(
            trx,
          );
          const reviews = await sql<
            Record<string, unknown>
          >`select version, action, actor_id, comment, at from policy_reviews where policy_id = ${policyId} order by position`.execute(
            trx,
          );
          return versions.rows.map((v) => ({
            version: v.version,
            contentHash: v.content_hash,
            authorId: v.author_id,
            createdAt: iso(v.created_at),
            history: reviews.rows
              .filter((r) => r.version === v.version)
              .map((r) => ({ action: r.action, actorId: r.actor_id, comment: r.comment, at: iso(r.at) })),
          }));
        },
      );
      res.json({ data, meta: { ...meta, total: data.length, page: 1, size: data.length, pages: 1 } });
    },
  );

  router.get(
    '/assessments',
    authenticated,
    requirePermission('assessment:read'),
    wait(assessmentsProjection),
    async (req, res) => {
      const actor = authOf(res);
      const page = pageOf(req);
      const conditions = timeRange(req, 'started_at');
      const clientId = clientFilter(req, actor);
      if (clientId) conditions.push(sql`client_id = ${clientId}`);
      if (req.query.status) conditions.push(sql`status = ${String(req.query.status)}`);
      if (req.query.frameworkId) conditions.push(sql`framework_id = ${String(req.query.frameworkId)}`);
      const order =
        req.query.sort === 'score' ? sql`score desc nulls last, assessment_id` : sql`started_at desc, assessment_id`;
      const { rows, meta } = await pageFrom(actor, 'assessments', conditions, order, page);
      res.json({ data: rows.map(assessmentOf), meta });
    },
  );

  router.get(
    '/assessments/:id',
    authenticated,
    requirePermission('assessment:read'),
    wait(assessmentsProjection),
    async (req, res) => {
      const actor = authOf(res);
      const assessmentId = String(req.params.id);
      res.json(
        await readAt(
          req,
          actor,
          [assessmentsProjection],
          `${actor.tenantId}/assessment/${assessmentId}`,
          async (trx) => {
            const assessment = ownedBy(
              actor,
              await one(trx, sql`select * from assessments where assessment_id = ${assessmentId}`, 'assessment'),
              'assessment',
            );
            const { rows } = await sql<Record<string, unknown>>`
          select requirement_id, result, score, evidence_ids from assessment_results where assessment_id = ${assessmentId} order by requirement_id`.execute(
              trx,
            );
            return {
              ...assessmentOf(assessment),
              results: rows.map((r) => ({
                requirementId: r.requirement_id,
                result: r.result,
                score: r.score === null ? null : Number(r.score),
                evidenceIds: r.evidence_ids,
              })),
            };
          },
        ),
      );
    },
  );

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

function policyOf(r: Record<string, unknown>) {
  return {
    policyId: r.policy_id,
    clientId: r.client_id,
    frameworkId: r.framework_id,
    title: r.title,
    status: r.status,
    version: r.current_version,
    publishedVersion: r.published_version ?? null,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function assessmentOf(r: Record<string, unknown>) {
  return {
    assessmentId: r.assessment_id,
    clientId: r.client_id,
    frameworkId: r.framework_id,
    catalogVersion: r.catalog_version,
    title: r.title,
    status: r.status,
    score: r.score === null || r.score === undefined ? null : Number(r.score),
    progress: r.progress === null || r.progress === undefined ? null : Number(r.progress),
    startedAt: iso(r.started_at),
    submittedAt: r.submitted_at ? iso(r.submitted_at) : null,
  };
}
