import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { aiServicesProjection } from '../../projections/read-models/ai-services.js';
import { assessmentsProjection, CoverageSchema } from '../../projections/read-models/assessments.js';
import { clientsProjection } from '../../projections/read-models/clients.js';
import { evidenceProjection } from '../../projections/read-models/evidence.js';
import { policiesProjection } from '../../projections/read-models/policies.js';
import { sumsOf, usageSums, type UsageSums } from '../../projections/read-models/gateway-requests.js';
import type { ReadModels } from '../../projections/read-models/tables.js';
import { noSeverities, SeverityCounts, violationsProjection } from '../../projections/read-models/violations.js';
import { answersOfMany, scoreAt, type AssessmentRow } from '../compliance/score-at.js';

const POLICY_STATUSES = ['draft', 'in_review', 'approved', 'published', 'retired'] as const;

/** What the summary reads: replayed whole for a summary as of a moment. */
export const SUMMARY_PROJECTIONS = [
  clientsProjection,
  assessmentsProjection,
  violationsProjection,
  aiServicesProjection,
  policiesProjection,
  evidenceProjection,
];

/** One client of the MSP summary. */
export const ClientSummary = z
  .object({
    clientId: z.string(),
    name: z.string(),
    frameworks: z.array(z.string()),
    scores: z.array(
      z.object({
        frameworkId: z.string(),
        assessmentId: z.string(),
        catalogVersion: z.string(),
        score: z.number().nullable(),
        progress: z.number(),
        coverage: CoverageSchema,
        submittedScore: z.number().nullable(),
        submittedAt: Timestamp,
        flagged: z.array(z.string()),
        basis: z.enum(['recomputed', 'as-submitted']),
        previousScore: z.number().nullable(),
        trend: z.number().nullable(),
      }),
    ),
    violations: z.object({
      last24h: SeverityCounts,
      last7d: SeverityCounts,
      last30d: SeverityCounts,
      /** Not resolved at the moment (open or acknowledged), whenever raised. */
      open: SeverityCounts,
    }),
    aiUsage: z.array(
      z.object({
        aiServiceId: z.string(),
        name: z.string().nullable(),
        analysed: z.int(),
        warned: z.int(),
        redacted: z.int(),
        blocked: z.int(),
      }),
    ),
    gatewayUsage: z
      .object({
        requests: z.int(),
        blocked: z.int(),
        redacted: z.int(),
        tokensIn: z.int(),
        tokensOut: z.int(),
        topServices: z
          .array(z.object({ aiServiceId: z.string(), name: z.string().nullable(), requests: z.int() }))
          .describe('the 3 AI services with the most requests'),
      })
      .describe(
        'Requests through the AI gateway in the calendar month (UTC) of the moment read, up to that moment (GET /ai-usage has the detail)',
      ),
    policies: z.record(z.string(), z.int()),
    evidence: z.object({
      expiringSoon: z.int(),
      expired: z.int().describe('Active evidence past its expiry'),
      retired: z.int().describe('Retired evidence, counted apart from expired'),
    }),
  })
  .meta({ id: 'ClientSummary' });

// Assessments, AI usage, policies and evidence are read with SQL until their read models declare their tables.
interface ScoreRow extends AssessmentRow {
  client_id: string;
  submitted_at: Date;
  /** 1 for the latest submitted assessment of its client and framework, 2 for the one before… */
  n: number;
}
const NO_REQUESTS: UsageSums = { requests: 0, tokens_in: 0, tokens_out: 0, blocked: 0, redacted: 0 };

interface UsageRow {
  client_id: string;
  ai_service_id: string;
  name: string | null;
  analysed: number;
  warned: number;
  redacted: number;
  blocked: number;
}

/**
 * The MSP summary at the moment `at`, read through `trx` (the live read models, or a replay of them): for each active
 * client, the latest compliance score per framework at that moment and its trend, violations by severity over the
 * 24 hours, 7 and 30 days before it, AI usage by service over the 30 days before it, requests through the AI gateway in
 * its calendar month up to it, policies by status, and evidence expiring within 30 days of it. `only` limits it to one client.
 */
export async function summaryAt(
  trx: Transaction<ReadModels>,
  at: string,
  only: string | null,
): Promise<Array<z.output<typeof ClientSummary>>> {
  const now = sql<Date>`${at}::timestamptz`;
  const before = (interval: string) => sql<Date>`${now} - ${interval}::interval`;
  const clients = await trx
    .selectFrom('clients')
    .select(['client_id', 'name', 'frameworks'])
    .where('status', '=', 'active')
    .$if(only !== null, (query) => query.where('client_id', '=', only!))
    .orderBy('name')
    .execute();
  const violations = await trx
    .selectFrom('violations')
    .select((eb) => {
      const since = (interval: string) =>
        eb.cast<number>(eb.fn.countAll().filterWhere('occurred_at', '>', before(interval)), 'integer');
      return [
        'client_id',
        'severity',
        since('24 hours').as('d1'),
        since('7 days').as('d7'),
        since('30 days').as('d30'),
      ];
    })
    .where('occurred_at', '>', before('30 days'))
    .where('occurred_at', '<=', now)
    .groupBy(['client_id', 'severity'])
    .execute();
  const unresolved = await trx
    .selectFrom('violations')
    .select((eb) => ['client_id', 'severity', eb.cast<number>(eb.fn.countAll(), 'integer').as('n')])
    .where('status', '<>', 'resolved')
    .where('occurred_at', '<=', now)
    .groupBy(['client_id', 'severity'])
    .execute();
  const { rows: scores } = await sql<ScoreRow>`
    select assessment_id, client_id, framework_id, catalog_version, score, progress, submitted_coverage, submitted_at,
           (row_number() over (partition by client_id, framework_id order by submitted_at desc))::int as n
    from assessments where status = 'submitted' and submitted_at <= ${now}`.execute(trx);
  const { rows: usage } = await sql<UsageRow>`
    select u.client_id, u.ai_service_id, s.name, sum(u.analysed)::int as analysed, sum(u.warned)::int as warned, sum(u.redacted)::int as redacted, sum(u.blocked)::int as blocked
    from ai_usage u left join ai_services s on s.ai_service_id = u.ai_service_id
    where u.day > (${now})::date - 30 and u.day <= (${now})::date group by u.client_id, u.ai_service_id, s.name`.execute(
    trx,
  );
  // Gateway requests are read live, not replayed: one row each, recorded_at says whether it was there at the moment.
  const month = sql`recorded_at >= date_trunc('month', ${now} at time zone 'UTC') at time zone 'UTC' and recorded_at <= ${now}`;
  const { rows: gateway } = await sql<UsageSums & { client_id: string }>`
    select client_id, ${usageSums} from gateway_requests where ${month} group by client_id`.execute(trx);
  const { rows: gatewayServices } = await sql<{
    client_id: string;
    ai_service_id: string;
    name: string | null;
    n: number;
  }>`
    select g.client_id, g.ai_service_id, s.name, g.n from (
      select client_id, ai_service_id, count(*)::int as n,
             row_number() over (partition by client_id order by count(*) desc, ai_service_id) as rank
      from gateway_requests where ${month} and ai_service_id is not null group by client_id, ai_service_id
    ) g left join ai_services s on s.ai_service_id = g.ai_service_id
    where g.rank <= 3 order by g.client_id, g.rank`.execute(trx);
  const { rows: policies } = await sql<{ client_id: string; status: string; n: number }>`
    select client_id, status, count(*)::int as n from policies group by client_id, status`.execute(trx);
  const { rows: evidence } = await sql<{ client_id: string; expiring: number; expired: number; retired: number }>`
    select client_id,
           count(*) filter (where status = 'active' and expires_at > ${now} and expires_at <= ${now} + interval '30 days')::int as expiring,
           count(*) filter (where status = 'active' and expires_at <= ${now})::int as expired,
           count(*) filter (where status = 'retired')::int as retired
    from evidence group by client_id`.execute(trx);
  const latest = scores.filter((r) => r.n === 1);
  const answers = await answersOfMany(
    trx,
    latest.map((row) => row.assessment_id),
  );
  const latestScores = new Map<string, Awaited<ReturnType<typeof scoreAt>>>();
  for (const row of latest)
    latestScores.set(row.assessment_id, await scoreAt(trx, row, at, answers.get(row.assessment_id)));

  return clients.map((client) => {
    const id = client.client_id;
    const mine = <Row extends { client_id: string }>(rows: Row[]) => rows.filter((r) => r.client_id === id);
    const counts = { last24h: noSeverities(), last7d: noSeverities(), last30d: noSeverities(), open: noSeverities() };
    for (const r of mine(violations)) {
      counts.last24h[r.severity] = r.d1;
      counts.last7d[r.severity] = r.d7;
      counts.last30d[r.severity] = r.d30;
    }
    for (const r of mine(unresolved)) counts.open[r.severity] = r.n;
    const statusCounts: Record<string, number> = Object.fromEntries(POLICY_STATUSES.map((s) => [s, 0]));
    for (const r of mine(policies)) statusCounts[r.status] = r.n;
    const ev = mine(evidence)[0];
    const clientScores = mine(scores);
    return {
      clientId: id,
      name: client.name,
      frameworks: client.frameworks,
      scores: clientScores
        .filter((r) => r.n === 1)
        .map((r) => {
          const current = latestScores.get(r.assessment_id)!;
          const previous = clientScores.find((p) => p.framework_id === r.framework_id && p.n === 2);
          const before = previous?.score == null ? null : Number(previous.score);
          return {
            frameworkId: r.framework_id,
            assessmentId: r.assessment_id,
            catalogVersion: r.catalog_version,
            score: current.score,
            progress: current.progress,
            coverage: current.coverage,
            submittedScore: r.score === null ? null : Number(r.score),
            submittedAt: new Date(r.submitted_at).toISOString(),
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
      gatewayUsage: {
        ...sumsOf(mine(gateway)[0] ?? NO_REQUESTS),
        topServices: mine(gatewayServices).map((r) => ({ aiServiceId: r.ai_service_id, name: r.name, requests: r.n })),
      },
      policies: statusCounts,
      evidence: { expiringSoon: ev?.expiring ?? 0, expired: ev?.expired ?? 0, retired: ev?.retired ?? 0 },
    };
  });
}
