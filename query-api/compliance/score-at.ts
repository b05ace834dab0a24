import { sql, type Selectable, type Transaction } from 'kysely';
import { SCALES } from '../../domain/assessments/scales.js';
import {
  coverageOf,
  scoreAssessment,
  type RequirementAnswer,
  type Result,
  type ScoreResult,
} from '../../domain/assessments/scoring.js';
import { catalogAt, requirementList, type FrameworkId } from '../../domain/frameworks/index.js';
import type { AssessmentsTable } from '../../projections/read-models/assessments.js';

/** What scoring reads of an assessment's row. */
export type AssessmentRow = Pick<
  Selectable<AssessmentsTable>,
  'assessment_id' | 'framework_id' | 'catalog_version' | 'score' | 'progress' | 'submitted_coverage'
>;

export interface ScoreAt extends ScoreResult {
  /** How the score was found: recomputed at the moment, or as recorded at submission (catalog version not shipped). */
  basis: 'recomputed' | 'as-submitted';
}

/** An assessment's results and the evidence they link, as the read models hold them (live, or replayed). */
export interface AssessmentAnswers {
  results: Array<{
    requirement_id: string;
    result: Result;
    score: string | null;
    evidence_ids: string[];
    note: string | null;
  }>;
  evidence: Array<{ evidence_id: string; title: string; status: string; expires_at: Date | string }>;
}

export async function answersOf<DB>(trx: Transaction<DB>, assessmentId: string): Promise<AssessmentAnswers> {
  return (await answersOfMany(trx, [assessmentId])).get(assessmentId)!;
}

/**
 * The answers of several assessments in three queries, whatever their number (the MSP summary scores each client's).
 * A requirement's evidence is what its result names and the evidence of the assessment's client mapped to it
 * (POST /evidence/{id}/map): both are counted, each once.
 */
export async function answersOfMany<DB>(
  trx: Transaction<DB>,
  assessmentIds: readonly string[],
): Promise<Map<string, AssessmentAnswers>> {
  const answers = new Map<string, AssessmentAnswers>(assessmentIds.map((id) => [id, { results: [], evidence: [] }]));
  if (assessmentIds.length === 0) return answers;
  const { rows: results } = await sql<
    AssessmentAnswers['results'][number] & { assessment_id: string; client_id: string }
  >`
    select r.assessment_id, a.client_id, r.requirement_id, r.result, r.score, r.evidence_ids, r.note
    from assessment_results r join assessments a on a.tenant_id = r.tenant_id and a.assessment_id = r.assessment_id
    where r.assessment_id = any(${[...assessmentIds]}::text[])`.execute(trx);
  const linked = [...new Set(results.flatMap((r) => r.evidence_ids))];
  const clients = [...new Set(results.map((r) => r.client_id))];
  const requirements = [...new Set(results.map((r) => r.requirement_id))];
  const evidence =
    results.length === 0
      ? []
      : (
          await sql<AssessmentAnswers['evidence'][number] & { client_id: string; requirement_ids: string[] }>`
            select evidence_id, client_id, title, status, expires_at, requirement_ids from evidence
            where evidence_id = any(${linked}::text[])
              or (client_id = any(${clients}::text[]) and requirement_ids && ${requirements}::text[])`.execute(trx)
        ).rows;
  const byId = new Map(evidence.map((e) => [e.evidence_id, e]));
  const mapped = new Map<string, string[]>();
  for (const e of evidence)
    for (const requirementId of e.requirement_ids) {
      const key = `${e.client_id}\u0000${requirementId}`;
      mapped.set(key, [...(mapped.get(key) ?? []), e.evidence_id]);
    }
  for (const { assessment_id: id, client_id: clientId, ...result } of results) {
    const mine = mapped.get(`${clientId}\u0000${result.requirement_id}`) ?? [];
    answers.get(id)!.results.push({ ...result, evidence_ids: [...new Set([...result.evidence_ids, ...mine])] });
  }
  for (const entry of answers.values()) {
    const ids = new Set(entry.results.flatMap((r) => r.evidence_ids));
    entry.evidence = [...ids].flatMap((evidenceId) => {
      const found = byId.get(evidenceId);
      return found
        ? [{ evidence_id: found.evidence_id, title: found.title, status: found.status, expires_at: found.expires_at }]
        : [];
    });
  }
  return answers;
}

/**
 * An assessment's compliance score and coverage at a moment, by the same scoring the submission used: over the catalog version the
 * assessment pinned, its results, and the freshness at that moment of the evidence they link (evidence that had
 * expired or was retired by then no longer backs a "compliant"). Reads the read models through `trx`, so over a
 * replay (point in time) it sees the evidence as it was; pass `answers` when they are already loaded.
 */
export async function scoreAt<DB>(
  trx: Transaction<DB>,
  assessment: AssessmentRow,
  at: string,
  answers?: AssessmentAnswers,
): Promise<ScoreAt> {
  const frameworkId = assessment.framework_id as FrameworkId;
  const catalog = catalogAt(frameworkId, assessment.catalog_version);
  if (!catalog) {
    const score = assessment.score === null ? null : Number(assessment.score);
    return {
      score,
      progress: Number(assessment.progress ?? 0),
      assessed: 0,
      assessable: 0,
      flagged: [],
      coverage: assessment.submitted_coverage ?? coverageOf(0, 0),
      basis: 'as-submitted',
    };
  }
  const { results, evidence } = answers ?? (await answersOf(trx, assessment.assessment_id));
  const byRequirement: Record<string, RequirementAnswer> = {};
  for (const r of results)
    byRequirement[r.requirement_id] = {
      result: r.result,
      score: r.score === null ? null : Number(r.score),
      evidenceIds: r.evidence_ids,
    };
  const evidenceExpiry: Record<string, string> = {};
  for (const e of evidence)
    if (e.status === 'active') evidenceExpiry[e.evidence_id] = new Date(e.expires_at).toISOString();
  return {
    ...scoreAssessment({
      requirements: requirementList(catalog),
      answers: byRequirement,
      scale: SCALES[frameworkId],
      evidenceExpiry,
      at,
    }),
    basis: 'recomputed',
  };
}
