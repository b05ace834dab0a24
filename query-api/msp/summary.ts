import express, { type RequestHandler, type Router } from 'express';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../infrastructure/database/database.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { authOf, requirePermission } from '../../infrastructure/http/authentication.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { aiServicesProjection } from '../../projections/read-models/ai-services.js';
import { assessmentsProjection } from '../../projections/read-models/assessments.js';
import { clientsProjection } from '../../projections/read-models/clients.js';
import { evidenceProjection } from '../../projections/read-models/evidence.js';
import { policiesProjection } from '../../projections/read-models/policies.js';
import { violationsProjection } from '../../projections/read-models/violations.js';
import { minPosition } from '../http/min-position.js';
import { answersOfMany, scoreAt, type AssessmentRow } from '../compliance/score-at.js';
import { atMoment, parseAsOf } from '../point-in-time/replay.js';
import { scopeOf } from '../history/client-scope.js';

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const POLICY_STATUSES = ['draft', 'in_review', 'approved', 'published', 'retired'] as const;
type Rows = Array<Record<string, unknown>>;
const bySeverity = () =>
  Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<(typeof SEVERITIES)[number], number>;

/** What the summary reads: replayed whole for a summary as of a moment. */
export const SUMMARY_PROJECTIONS = [
  clientsProjection,
  assessmentsProjection,
  violationsProjection,
  aiServicesProjection,
  policiesProjection,
  evidenceProjection,
];

/**
 * The MSP summary at the moment `at`, read through `trx` (the live read models, or a replay of them): for each active
 * client, the latest compliance score per framework at that moment and its trend, violations by severity over the
 * 24 hours, 7 and 30 days before it, AI usage by service over the 30 days before it, policies by status, and
 * evidence expiring within 30 days of it. `only` limits it to one client.
 */
export async function summaryAt(trx: Transaction<unknown>, at: string, only: string | null) {
  const run = async (query: ReturnType<typeof sql<Record<string, unknown>>>) => (await query.execute(trx)).rows as Rows;
  const now = sql`${at}::timestamptz`;
  const clients = await run(
    sql`select client_id, name, frameworks from clients where status = 'active' and (${only}::text is null or client_id = ${only}) order by name`,
  );
  const scores = await run(sql`
    select assessment_id, client_id, framework_id, catalog_version, score, progress, submitted_at,
           row_number() over (partition by client_id, framework_id order by submitted_at desc) as n
    from assessments where status = 'submitted' and submitted_at <= ${now}`);
  const violations = await run(sql`
    select client_id, severity,
           count(*) filter (where occurred_at > ${now} - interval '24 hours')::int as d1,
           count(*) filter (where occurred_at > ${now} - interval '7 days')::int as d7,
           count(*)::int as d30
    from violations where occurred_at > ${now} - interval '30 days' and occurred_at <= ${now} group by client_id, severity`);
  const usage = await run(sql`
    select u.client_id, u.ai_service_id, s.name, sum(u.analysed)::int as analysed, sum(u.warned)::int as warned, sum(u.redacted)::int as redacted, sum(u.blocked)::int as blocked
    from ai_usage u left join ai_services s on s.ai_service_id = u.ai_service_id
    where u.day > (${now})::date - 30 and u.day <= (${now})::date group by u.client_id, u.ai_service_id, s.name`);
  const policies = await run(
    sql`select client_id, status, count(*)::int as n from policies group by client_id, status`,
  );
  const evidence = await run(sql`
    select client_id,
           count(*) filter (where status = 'active' and expires_at > ${now} and expires_at <= ${now} + interval '30 days')::int as expiring,
           count(*) filter (where status <> 'active' or expires_at <= ${now})::int as expired
    from evidence group by client_id`);
  const latest = scores.filter((r) => Number(r.n) === 1) as unknown as AssessmentRow[];
  const answers = await answersOfMany(
    trx,
    latest.map((row) => row.assessment_id),
  );
  const latestScores = new Map<unknown, Awaited<ReturnType<typeof scoreAt>>>();
  for (const row of latest)
    latestScores.set(row.assessment_id, await scoreAt(trx, row, at, answers.get(row.assessment_id)));

  return clients.map((client) => {
    const id = client.client_id;
    const mine = (rows: Rows) => rows.filter((r) => r.client_id === id);
    const counts = { last24h: bySeverity(), last7d: bySeverity(), last30d: bySeverity() };
    for (const r of mine(violations)) {
      const severity = r.severity as (typeof SEVERITIES)[number];
      counts.last24h[severity] = Number(r.d1);
      counts.last7d[severity] = Number(r.d7);
      counts.last30d[severity] = Number(r.d30);
    }
    const statusCounts = Object.fromEntries(POLICY_STATUSES.map((s) => [s, 0]));
    for (const r of mine(policies)) statusCounts[String(r.status)] = Number(r.n);
    const ev = mine(evidence)[0];
    return {
      clientId: id,
      name: client.name,
      frameworks: client.frameworks,
      scores: mine(scores)
        .filter((r) => Number(r.n) === 1)
        .map((r) => {
          const current = latestScores.get(r.assessment_id)!;
          const previous = mine(scores).find((p) => p.framework_id === r.framework_id && Number(p.n) === 2);
          const before = previous?.score == null ? null : Number(previous.score);
          return {
            frameworkId: r.framework_id,
            assessmentId: r.assessment_id,
            catalogVersion: r.catalog_version,
            score: current.score,
            progress: current.progress,
            submittedScore: r.score === null ? null : Number(r.score),
            submittedAt: new Date(r.submitted_at as string).toISOString(),
            flagged: current.flagged,
            basis: current.basis,
            previousScore: before,
            trend: current.score === null || before === null ? null : Math.round((current.score - before) * 100) / 100,
          };
        }),
      violations: counts,
      aiUsage: mine(usage).map((r) => ({
        aiServiceId: r.ai_service_id,
        name: r.name ?? null,
        analysed: r.analysed,
        warned: r.warned,
        redacted: r.redacted,
        blocked: r.blocked,
      })),
      policies: statusCounts,
      evidence: { expiringSoon: Number(ev?.expiring ?? 0), expired: Number(ev?.expired ?? 0) },
    };
  });
}

/** GET /msp/summary, now or as of ?asOf (the tenant's log replayed up to then by the same projections). */
export function mspSummaryRoutes(
  database: Database,
  eventStore: EventStore,
  waitMs: number,
  authenticated: RequestHandler,
): Router {
  const router = express.Router();
  router.get(
    '/msp/summary',
    authenticated,
    requirePermission('client:read'),
    minPosition(database, eventStore, SUMMARY_PROJECTIONS, waitMs),
    async (req, res) => {
      const actor = authOf(res);
      if (req.query.asOf === undefined) {
        const at = new Date().toISOString();
        const data = await asTenant(database.db, actor, (trx) => summaryAt(trx, at, actor.clientId));
        res.json({ data, meta: { generatedAt: at, total: data.length } });
        return;
      }
      const asOf = parseAsOf(String(req.query.asOf));
      const { data, moment } = await atMoment(
        database,
        eventStore,
        { tenantId: actor.tenantId, asOf, projections: SUMMARY_PROJECTIONS, reader: scopeOf(eventStore, actor) },
        async (trx, moment) => ({
          data: await summaryAt(trx, moment.at, actor.clientId),
          moment,
        }),
      );
      res.json({
        data,
        meta: {
          generatedAt: new Date().toISOString(),
          asOf: moment.at,
          position: moment.position,
          eventsReplayed: moment.events,
          total: data.length,
        },
      });
    },
  );
  return router;
}
