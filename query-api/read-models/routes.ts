import express, { type Request, type RequestHandler, type Router } from 'express';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../infrastructure/database/database.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { authOf, requirePermission, type Authenticated } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { policiesProjection } from '../../projections/read-models/policies.js';
import { evidenceProjection } from '../../projections/read-models/evidence.js';
import { aiServicesProjection } from '../../projections/read-models/ai-services.js';
import { assessmentsProjection } from '../../projections/read-models/assessments.js';
import { promptAnalysesProjection } from '../../projections/read-models/prompt-analyses.js';
import type { AnyProjection } from '../../projections/projection.js';
import { atMoment, parseAsOf } from '../point-in-time/replay.js';
import { freshnessAt } from '../compliance/freshness.js';
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
    '/evidence',
    authenticated,
    requirePermission('evidence:read'),
    wait(evidenceProjection),
    async (req, res) => {
      const actor = authOf(res);
      const page = pageOf(req);
      const conditions: RawBuilder<unknown>[] = [];
      const clientId = clientFilter(req, actor);
      if (clientId) conditions.push(sql`client_id = ${clientId}`);
      if (req.query.requirementId) conditions.push(sql`${String(req.query.requirementId)} = any(requirement_ids)`);
      // Freshness as of now: expired (or retired), expiring within 30 days, valid.
      const freshness = {
        expired: sql`(status <> 'active' or expires_at <= now())`,
        expiring: sql`(status = 'active' and expires_at > now() and expires_at <= now() + interval '30 days')`,
        valid: sql`(status = 'active' and expires_at > now() + interval '30 days')`,
      };
      if (req.query.freshness) conditions.push(freshness[String(req.query.freshness) as keyof typeof freshness]);
      conditions.push(...timeRange(req, 'uploaded_at'));
      const order =
        req.query.sort === 'uploadedAt'
          ? sql`uploaded_at desc, evidence_id`
          : req.query.sort === 'title'
            ? sql`title, evidence_id`
            : sql`expires_at, evidence_id`;
      const { rows, meta } = await pageFrom(actor, 'evidence', conditions, order, page);
      res.json({ data: rows.map((row) => evidenceOf(row)), meta });
    },
  );

  router.get(
    '/evidence/:id',
    authenticated,
    requirePermission('evidence:read'),
    wait(evidenceProjection),
    async (req, res) => {
      const actor = authOf(res);
      const evidenceId = String(req.params.id);
      res.json(
        await readAt(req, actor, [evidenceProjection], `${actor.tenantId}/evidence/${evidenceId}`, async (trx, at) =>
          evidenceOf(
            ownedBy(
              actor,
              await one(trx, sql`select * from evidence where evidence_id = ${evidenceId}`, 'evidence'),
              'evidence',
            ),
            at,
          ),
        ),
      );
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
    '/ai-services',
    authenticated,
    requirePermission('ai-service:read'),
    wait(aiServicesProjection),
    async (req, res) => {
      const actor = authOf(res);
      const page = pageOf(req);
      const clientId = clientFilter(req, actor) ?? null;
      const rows = await asTenant(db, actor, (trx) =>
        sql<Record<string, unknown> & { total: string }>`
        select s.*, a.status as approval, a.reason as approval_reason, count(*) over ()::text as total,
          (select json_build_object('analysed', coalesce(sum(u.analysed), 0), 'warned', coalesce(sum(u.warned), 0), 'redacted', coalesce(sum(u.redacted), 0), 'blocked', coalesce(sum(u.blocked), 0))
           from ai_usage u where u.ai_service_id = s.ai_service_id and u.day > current_date - 30 and (${clientId}::text is null or u.client_id = ${clientId})) as usage
        from ai_services s
        left join ai_service_approvals a on a.ai_service_id = s.ai_service_id and a.client_id = ${clientId}
        order by s.name, s.ai_service_id limit ${page.size} offset ${page.offset}`.execute(trx),
      );
      res.json({
        data: rows.rows.map((r) => ({
          aiServiceId: r.ai_service_id,
          name: r.name,
          vendor: r.vendor,
          models: r.models,
          baaSigned: r.baa_signed,
          dpaSigned: r.dpa_signed,
          dataRetentionDays: r.data_retention_days,
          registeredAt: iso(r.registered_at),
          approval: clientId === null ? null : (r.approval ?? 'none'),
          usageLast30Days: r.usage,
        })),
        meta: listMeta(page, Number(rows.rows[0]?.total ?? 0)),
      });
    },
  );

  router.get(
    '/prompt-analyses',
    authenticated,
    requirePermission('violation:read'),
    wait(promptAnalysesProjection),
    async (req, res) => {
      const actor = authOf(res);
      const page = pageOf(req);
      const conditions = timeRange(req, 'analysed_at');
      const clientId = clientFilter(req, actor);
      if (clientId) conditions.push(sql`client_id = ${clientId}`);
      for (const [param, column] of [
        ['decision', 'decision'],
        ['aiServiceId', 'ai_service_id'],
        ['conversationId', 'conversation_id'],
      ] as const) {
        if (req.query[param] !== undefined) conditions.push(sql`${sql.ref(column)} = ${String(req.query[param])}`);
      }
      if (req.query.entity) conditions.push(sql`entity_counts ? ${String(req.query.entity)}`);
      const { rows, meta } = await pageFrom(
        actor,
        'prompt_analyses',
        conditions,
        sql`analysed_at desc, analysis_id`,
        page,
      );
      res.json({
        data: rows.map((r) => ({
          analysisId: r.analysis_id,
          clientId: r.client_id,
          aiServiceId: r.ai_service_id,
          decision: r.decision,
          findings: r.findings,
          entityCounts: r.entity_counts,
          reasons: r.reasons,
          serviceApproved: r.service_approved,
          promptLength: r.prompt_length,
          conversationId: r.conversation_id,
          userRefHash: r.user_ref_hash,
          engineVersion: r.engine_version,
          analysedAt: iso(r.analysed_at),
          position: r.position,
        })),
        meta,
      });
    },
  );

  return router;
}

/** Evidence with its freshness at `at`. */
function evidenceOf(r: Record<string, unknown>, at = new Date().toISOString()) {
  const expiresAt = new Date(r.expires_at as string);
  const freshness = freshnessAt(r, at);
  return {
    evidenceId: r.evidence_id,
    clientId: r.client_id,
    title: r.title,
    fileName: r.file_name,
    contentType: r.content_type,
    sha256: r.sha256,
    size: Number(r.size),
    validFrom: iso(r.valid_from),
    expiresAt: expiresAt.toISOString(),
    requirementIds: r.requirement_ids,
    status: r.status,
    freshness,
    uploadedBy: r.uploaded_by,
    uploadedAt: iso(r.uploaded_at),
  };
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
