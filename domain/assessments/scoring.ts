/**
 * Compliance scoring, as pure functions.
 *
 * - A requirement's score is normalised to 0–1: its numeric score on the framework's scale when given, else its
 *   result (compliant 1, partially compliant 0.5, non-compliant 0).
 * - Not-applicable and not-assessed requirements are left out of the score.
 * - The overall score is the weighted mean, put back on the framework's scale; "no score" (null) when nothing is scored.
 * - Progress is assessed ÷ assessable, where not-applicable requirements are not assessable.
 * - A requirement marked compliant whose linked evidence has all expired at the time of scoring counts as partially
 *   compliant, and is flagged.
 */
export const RESULTS = ['not_assessed', 'compliant', 'partially_compliant', 'non_compliant', 'not_applicable'] as const;
export type Result = (typeof RESULTS)[number];

export interface Scale {
  min: number;
  max: number;
}

export interface RequirementAnswer {
  result: Result;
  score?: number | null;
  evidenceIds?: string[];
}

export interface ScoreInput {
  /** Every requirement id of the pinned catalog, with its weight (1 unless the framework says otherwise). */
  requirements: ReadonlyArray<{ id: string; weight?: number }>;
  answers: Readonly<Record<string, RequirementAnswer>>;
  scale: Scale;
  /** When each linked evidence item expires (ISO time); evidence not listed counts as expired. */
  evidenceExpiry: Readonly<Record<string, string>>;
  at: string;
}

export interface ScoreResult {
  /** On the framework's scale, rounded to two decimals; null when nothing is scored. */
  score: number | null;
  /** 0–1, rounded to three decimals. */
  progress: number;
  assessed: number;
  assessable: number;
  /** Requirements marked compliant whose evidence had all expired: scored as partially compliant. */
  flagged: string[];
}

const RESULT_VALUE: Record<'compliant' | 'partially_compliant' | 'non_compliant', number> = {
  compliant: 1,
  partially_compliant: 0.5,
  non_compliant: 0,
};

export function normalise(score: number, scale: Scale): number {
  return Math.min(1, Math.max(0, (score - scale.min) / (scale.max - scale.min)));
}

export function scoreAssessment(input: ScoreInput): ScoreResult {
  let weighted = 0;
  let weights = 0;
  let assessed = 0;
  let assessable = 0;
  const flagged: string[] = [];
  for (const { id, weight = 1 } of input.requirements) {
    const answer = input.answers[id] ?? { result: 'not_assessed' };
    if (answer.result === 'not_applicable') continue;
    assessable++;
    if (answer.result === 'not_assessed') continue;
    assessed++;
    let result = answer.result;
    const evidence = answer.evidenceIds ?? [];
    if (
      result === 'compliant' &&
      evidence.length > 0 &&
      evidence.every((e) => !(input.evidenceExpiry[e] && input.evidenceExpiry[e]! > input.at))
    ) {
      result = 'partially_compliant';
      flagged.push(id);
    }
    const value =
      answer.score !== undefined && answer.score !== null && result === answer.result
        ? normalise(answer.score, input.scale)
        : RESULT_VALUE[result];
    weighted += value * weight;
    weights += weight;
  }
  const mean = weights > 0 ? weighted / weights : null;
  return {
    score:
      mean === null ? null : Math.round((input.scale.min + mean * (input.scale.max - input.scale.min)) * 100) / 100,
    progress: assessable > 0 ? Math.round((assessed / assessable) * 1000) / 1000 : 0,
    assessed,
    assessable,
    flagged,
  };
}
