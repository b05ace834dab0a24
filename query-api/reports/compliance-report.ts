import { sql, type Transaction } from 'kysely';
import { catalogAt, FRAMEWORKS, requirementList, type FrameworkId } from '../../domain/frameworks/index.js';
import type { VerificationResult } from '../../infrastructure/event-store/verify.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { assessmentsProjection } from '../../projections/read-models/assessments.js';
import { clientsProjection } from '../../projections/read-models/clients.js';
import { evidenceProjection } from '../../projections/read-models/evidence.js';
import { policiesProjection } from '../../projections/read-models/policies.js';
import { violationsProjection } from '../../projections/read-models/violations.js';
import { freshnessAt, type Freshness } from '../compliance/freshness.js';
import { answersOf, scoreAt, type AssessmentRow } from '../compliance/score-at.js';

/** What a compliance report reads: replayed whole for a report as of a moment. */
export const REPORT_PROJECTIONS = [
  clientsProjection,
  assessmentsProjection,
  evidenceProjection,
  policiesProjection,
  violationsProjection,
];

type Row = Record<string, unknown>;
const iso = (value: unknown): string => new Date(value as string).toISOString();
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export interface ComplianceReport {
  client: { clientId: string; name: string; industry: string };
  framework: { frameworkId: string; name: string; catalogVersion: string | null };
  asOf: string;
  position: string | null;
  generatedAt: string;
  assessment: {
    assessmentId: string;
    title: string;
    status: string;
    startedAt: string;
    submittedAt: string | null;
    score: number | null;
    submittedScore: number | null;
    progress: number;
    assessed: number;
    assessable: number;
    flagged: string[];
    basis: 'recomputed' | 'as-submitted';
  } | null;
  requirements: Array<{
    requirementId: string;
    title: string;
    result: string;
    score: number | null;
    flagged: boolean;
    evidence: Array<{ evidenceId: string; title: string; expiresAt: string; freshness: Freshness }>;
  }>;
  policies: Array<{
    policyId: string;
    title: string;
    frameworkId: string;
    status: string;
    publishedVersion: number;
    currentVersion: number;
  }>;
  violations: { windowDays: 30; total: number; bySeverity: Record<string, number>; byKind: Record<string, number> };
  /** Submitted assessments of this client and framework up to the moment: the score over time. */
  scoreHistory: Array<{ assessmentId: string; submittedAt: string; score: number | null }>;
  verification: VerificationResult & { verifiedAt: string };
}

/**
 * The compliance report of one client and framework at the moment `at`, read through `trx` (the live read models, or
 * a replay of them): the score and progress of the latest assessment (recomputed at that moment, as the summary
 * does), each assessed requirement with its linked evidence and freshness then, the policies in force, violations
 * over the 30 days before, the score over time, and the hash-chain verification the caller ran.
 */
export async function complianceReport(
  trx: Transaction<unknown>,
  moment: { at: string; position: string | null },
  scope: { clientId: string; frameworkId: FrameworkId },
  verification: ComplianceReport['verification'],
): Promise<ComplianceReport> {
  const { clientId, frameworkId } = scope;
  const { at } = moment;
  const rows = async (query: ReturnType<typeof sql<Row>>) => (await query.execute(trx)).rows;
  const [client] = await rows(sql`select client_id, name, industry from clients where client_id = ${clientId}`);
  if (!client) throw new HttpProblem(404, 'not-found', 'Not found', 'No such client at that moment.');

  const assessments = await rows(sql`
    select * from assessments where client_id = ${clientId} and framework_id = ${frameworkId} and started_at <= ${at}::timestamptz
    order by (status = 'submitted') desc, coalesce(submitted_at, started_at) desc`);
  const latest = assessments[0];
  let assessment: ComplianceReport['assessment'] = null;
  let requirements: ComplianceReport['requirements'] = [];
  if (latest) {
    const answers = await answersOf(trx, String(latest.assessment_id));
    const score = await scoreAt(trx, latest as unknown as AssessmentRow, at, answers);
    assessment = {
      assessmentId: String(latest.assessment_id),
      title: String(latest.title),
      status: String(latest.status),
      startedAt: iso(latest.started_at),
      submittedAt: latest.submitted_at ? iso(latest.submitted_at) : null,
      score: score.score,
      submittedScore: num(latest.score),
      progress: score.progress,
      assessed: score.assessed,
      assessable: score.assessable,
      flagged: score.flagged,
      basis: score.basis,
    };
    const catalog = catalogAt(frameworkId, String(latest.catalog_version));
    const titles = new Map(catalog ? requirementList(catalog).map((r) => [r.id, r.title]) : []);
    const order = new Map(catalog ? requirementList(catalog).map((r, i) => [r.id, i]) : []);
    const { results, evidence } = answers;
    const byId = new Map(evidence.map((e) => [e.evidence_id, e]));
    requirements = results
      .sort(
        (a, b) => (order.get(String(a.requirement_id)) ?? Infinity) - (order.get(String(b.requirement_id)) ?? Infinity),
      )
      .map((r) => ({
        requirementId: String(r.requirement_id),
        title: titles.get(String(r.requirement_id)) ?? '',
        result: String(r.result),
        score: num(r.score),
        flagged: score.flagged.includes(String(r.requirement_id)),
        evidence: r.evidence_ids.flatMap((id) => {
          const e = byId.get(id);
          return e
            ? [{ evidenceId: id, title: String(e.title), expiresAt: iso(e.expires_at), freshness: freshnessAt(e, at) }]
            : [];
        }),
      }));
  }

  const policies = await rows(sql`
    select policy_id, title, framework_id, status, published_version, current_version from policies
    where client_id = ${clientId} and published_version is not null and status <> 'retired' order by title, policy_id`);
  const violations = await rows(sql`
    select severity, kind, count(*)::int as n from violations
    where client_id = ${clientId} and occurred_at > ${at}::timestamptz - interval '30 days' and occurred_at <= ${at}::timestamptz
    group by severity, kind`);
  const bySeverity: Record<string, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  const byKind: Record<string, number> = {};
  for (const v of violations) {
    bySeverity[String(v.severity)] = (bySeverity[String(v.severity)] ?? 0) + Number(v.n);
    byKind[String(v.kind)] = (byKind[String(v.kind)] ?? 0) + Number(v.n);
  }
  const scoreHistory = assessments
    .filter((a) => a.status === 'submitted' && a.submitted_at && iso(a.submitted_at) <= at)
    .map((a) => ({ assessmentId: String(a.assessment_id), submittedAt: iso(a.submitted_at), score: num(a.score) }))
    .sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));

  return {
    client: { clientId, name: String(client.name), industry: String(client.industry) },
    framework: {
      frameworkId,
      name: FRAMEWORKS[frameworkId].name,
      catalogVersion: latest ? String(latest.catalog_version) : null,
    },
    asOf: at,
    position: moment.position,
    generatedAt: new Date().toISOString(),
    assessment,
    requirements,
    policies: policies.map((p) => ({
      policyId: String(p.policy_id),
      title: String(p.title),
      frameworkId: String(p.framework_id),
      status: String(p.status),
      publishedVersion: Number(p.published_version),
      currentVersion: Number(p.current_version),
    })),
    violations: { windowDays: 30, total: violations.reduce((sum, v) => sum + Number(v.n), 0), bySeverity, byKind },
    scoreHistory,
    verification,
  };
}
