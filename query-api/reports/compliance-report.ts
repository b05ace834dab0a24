import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import {
  catalogAt,
  FRAMEWORK_IDS,
  FRAMEWORKS,
  requirementFacts,
  requirementList,
  type FrameworkId,
} from '../../domain/frameworks/index.js';
import { Id, Position, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { notFound } from '../../infrastructure/http/problem.js';
import {
  assessmentsProjection,
  CoverageSchema,
  SubmissionWarningSchema,
} from '../../projections/read-models/assessments.js';
import { clientsProjection } from '../../projections/read-models/clients.js';
import { evidenceProjection } from '../../projections/read-models/evidence.js';
import { policiesProjection } from '../../projections/read-models/policies.js';
import { violationsProjection } from '../../projections/read-models/violations.js';
import type { ReadModels } from '../../projections/read-models/tables.js';
import { FRESHNESS } from '../../domain/evidence/evidence.js';
import { freshnessAt } from '../compliance/freshness.js';
import { answersOf, scoreAt } from '../compliance/score-at.js';

/** What a compliance report reads: replayed whole for a report as of a moment. */
export const REPORT_PROJECTIONS = [
  clientsProjection,
  assessmentsProjection,
  evidenceProjection,
  policiesProjection,
  violationsProjection,
];

const num = (value: string | number | null): number | null => (value === null ? null : Number(value));
const iso = (value: Date | string): string => new Date(value).toISOString();

const Freshness = z.enum(FRESHNESS);
const count = z.record(z.string(), z.int());

/** The first event whose hash or link does not match, when the chain is broken. */
const ChainBreak = z.object({
  reason: z.enum(['hash-mismatch', 'broken-link', 'missing-revision']),
  streamId: z.string(),
  eventId: z.string(),
  revision: z.int(),
  expected: z.union([z.string(), z.int()]),
  found: z.union([z.string(), z.int()]),
});

/** One client's compliance with one framework at a moment; the PDF prints exactly this. */
export const ComplianceReport = z
  .object({
    client: z.object({ clientId: Id, name: z.string(), industry: z.string() }),
    framework: z.object({
      frameworkId: z.enum(FRAMEWORK_IDS),
      name: z.string(),
      catalogVersion: z.string().nullable(),
    }),
    asOf: Timestamp,
    position: Position.nullable(),
    generatedAt: Timestamp,
    assessment: z
      .object({
        assessmentId: Id,
        title: z.string(),
        status: z.string(),
        startedAt: Timestamp,
        submittedAt: Timestamp.nullable(),
        score: z.number().nullable(),
        submittedScore: z.number().nullable(),
        progress: z.number(),
        assessed: z.int(),
        assessable: z.int(),
        coverage: CoverageSchema,
        flagged: z.array(z.string()),
        basis: z.enum(['recomputed', 'as-submitted']),
        warnings: z.array(SubmissionWarningSchema),
      })
      .nullable(),
    requirements: z.array(
      z.object({
        requirementId: z.string(),
        citation: z
          .string()
          .describe(
            'The official citation (`§164.308(a)(1)`, `AC-2(1)` …); the id if the pinned catalog is not shipped',
          ),
        title: z.string(),
        statement: z.string().nullable().describe("What the requirement asks, in the source's words"),
        result: z.string(),
        score: z.number().nullable(),
        flagged: z.boolean(),
        note: z.string().nullable(),
        evidence: z.array(
          z.object({ evidenceId: z.string(), title: z.string(), expiresAt: Timestamp, freshness: Freshness }),
        ),
      }),
    ),
    policies: z.array(
      z.object({
        policyId: Id,
        title: z.string(),
        frameworkId: z.string(),
        status: z.string(),
        publishedVersion: z.int(),
        currentVersion: z.int(),
      }),
    ),
    violations: z.object({
      windowDays: z.literal(30),
      total: z.int(),
      bySeverity: count,
      byKind: count,
      /** Of those: not resolved at the moment (open or acknowledged), and resolved. */
      open: z.int(),
      resolved: z.int(),
    }),
    /** Submitted assessments of this client and framework up to the moment: the score over time. */
    scoreHistory: z.array(z.object({ assessmentId: Id, submittedAt: Timestamp, score: z.number().nullable() })),
    /** The tenant's hash chains as they stand when the report is made, whatever moment it is of. */
    verification: z.object({
      ok: z.boolean(),
      eventsChecked: z.int(),
      firstBreak: ChainBreak.optional(),
      verifiedAt: Timestamp,
    }),
  })
  .meta({ id: 'ComplianceReport' });
export type ComplianceReport = z.output<typeof ComplianceReport>;

/**
 * The compliance report of one client and framework at the moment `at`, read through `trx` (the live read models, or
 * a replay of them): the score and progress of the latest assessment (recomputed at that moment, as the summary
 * does), each assessed requirement with its linked evidence and freshness then, the policies in force, violations
 * over the 30 days before and the score over time. The caller adds the hash-chain verification.
 */
export async function complianceReport(
  trx: Transaction<ReadModels>,
  moment: { at: string; position: string | null },
  scope: { clientId: string; frameworkId: FrameworkId },
): Promise<Omit<ComplianceReport, 'verification'>> {
  const { clientId, frameworkId } = scope;
  const { at } = moment;
  const client = await trx
    .selectFrom('clients')
    .select(['name', 'industry'])
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (!client) throw notFound('client at that moment');

  // The latest assessment: the last submitted, else the last started.
  const assessments = await trx
    .selectFrom('assessments')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('framework_id', '=', frameworkId)
    .where('started_at', '<=', new Date(at))
    .orderBy(sql`status = 'submitted'`, 'desc')
    .orderBy(sql`coalesce(submitted_at, started_at)`, 'desc')
    .execute();
  const latest = assessments[0];
  let assessment: ComplianceReport['assessment'] = null;
  let requirements: ComplianceReport['requirements'] = [];
  if (latest) {
    const answers = await answersOf(trx, latest.assessment_id);
    const score = await scoreAt(trx, latest, at, answers);
    assessment = {
      assessmentId: latest.assessment_id,
      title: latest.title,
      status: latest.status,
      startedAt: iso(latest.started_at),
      submittedAt: latest.submitted_at ? iso(latest.submitted_at) : null,
      score: score.score,
      submittedScore: num(latest.score),
      progress: score.progress,
      assessed: score.assessed,
      assessable: score.assessable,
      coverage: score.coverage,
      flagged: score.flagged,
      basis: score.basis,
      warnings: latest.submission_warnings ?? [],
    };
    const catalog = catalogAt(frameworkId, latest.catalog_version);
    const order = new Map(catalog ? requirementList(catalog).map((r, i) => [r.id, i]) : []);
    const requirementOf = (id: string) => {
      const facts = requirementFacts(catalog, id);
      return { citation: facts.citation ?? id, title: facts.title ?? '', statement: facts.statement };
    };
    const { results, evidence } = answers;
    const byId = new Map(evidence.map((e) => [e.evidence_id, e]));
    requirements = results
      .sort((a, b) => (order.get(a.requirement_id) ?? Infinity) - (order.get(b.requirement_id) ?? Infinity))
      .map((r) => ({
        requirementId: r.requirement_id,
        ...requirementOf(r.requirement_id),
        result: r.result,
        score: num(r.score),
        flagged: score.flagged.includes(r.requirement_id),
        note: r.note ?? null,
        evidence: r.evidence_ids.flatMap((id) => {
          const e = byId.get(id);
          return e
            ? [{ evidenceId: id, title: e.title, expiresAt: iso(e.expires_at), freshness: freshnessAt(e, at) }]
            : [];
        }),
      }));
  }

  const policies = await trx
    .selectFrom('policies')
    .select(['policy_id', 'title', 'framework_id', 'status', 'published_version', 'current_version'])
    .where('client_id', '=', clientId)
    .where('published_version', 'is not', null)
    .where('status', '<>', 'retired')
    .orderBy('title')
    .orderBy('policy_id')
    .execute();
  const { rows: violations } = await sql<{ severity: string; kind: string; n: number; resolved: number }>`
    select severity, kind, count(*)::int as n, (count(*) filter (where status = 'resolved'))::int as resolved from violations
    where client_id = ${clientId} and occurred_at > ${at}::timestamptz - interval '30 days' and occurred_at <= ${at}::timestamptz
    group by severity, kind`.execute(trx);
  const bySeverity: Record<string, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  const byKind: Record<string, number> = {};
  for (const v of violations) {
    bySeverity[v.severity] = (bySeverity[v.severity] ?? 0) + v.n;
    byKind[v.kind] = (byKind[v.kind] ?? 0) + v.n;
  }
  const scoreHistory = assessments
    .filter((a) => a.status === 'submitted' && a.submitted_at && iso(a.submitted_at) <= at)
    .map((a) => ({ assessmentId: a.assessment_id, submittedAt: iso(a.submitted_at!), score: num(a.score) }))
    .sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));

  return {
    client: { clientId, name: client.name, industry: client.industry },
    framework: {
      frameworkId,
      name: FRAMEWORKS[frameworkId].name,
      catalogVersion: latest ? latest.catalog_version : null,
    },
    asOf: at,
    position: moment.position,
    generatedAt: new Date().toISOString(),
    assessment,
    requirements,
    policies: policies.map((p) => ({
      policyId: p.policy_id,
      title: p.title,
      frameworkId: p.framework_id,
      status: p.status,
      publishedVersion: p.published_version!,
      currentVersion: p.current_version,
    })),
    violations: {
      windowDays: 30,
      total: violations.reduce((sum, v) => sum + v.n, 0),
      bySeverity,
      byKind,
      open: violations.reduce((sum, v) => sum + v.n - v.resolved, 0),
      resolved: violations.reduce((sum, v) => sum + v.resolved, 0),
    },
    scoreHistory,
  };
}
