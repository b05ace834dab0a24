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
 * - Coverage says how much of the catalog the score rests on: requirements answered (any result but not-assessed,
 *   not-applicable included) ÷ every requirement of the pinned catalog. A score over 4 of 125 requirements is a score
 *   of those 4, and says so.
 *
 * The assessment, the compliance report and the MSP summary all score with `scoreAssessment`, live and as of a moment.
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

/** How much of the catalog an assessment answers. */
export interface Coverage {
  /** Requirements with a result other than not-assessed (not-applicable counts as answered). */
  answered: number;
  /** Every requirement of the pinned catalog. */
  total: number;
  /** answered ÷ total, 0–1, rounded to three decimals (0 for an empty catalog). */
  ratio: number;
}

/**
 * Below this coverage a submission still goes through, but its answer and its event carry a `low-coverage` warning:
 * a score resting on less than four fifths of the catalog is not a picture of the client's compliance.
 */
export const COVERAGE_WARNING_THRESHOLD = 0.8;

/** What a submission warns about; recorded in its event and returned in its answer. */
export interface SubmissionWarning {
  code: 'low-coverage';
  message: string;
}

export interface ScoreResult {
  /** On the framework's scale, rounded to two decimals; null when nothing is scored. */
  score: number | null;
  /** 0–1, rounded to three decimals. */
  progress: number;
  assessed: number;
  assessable: number;
  /**
   * Requirements marked compliant whose linked evidence had none in force (all expired, or retired: withdrawn evidence
   * backs nothing): scored as partially compliant. Reports tell expired from retired by each piece's freshness.
   */
  flagged: string[];
  coverage: Coverage;
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
  let answered = 0;
  const flagged: string[] = [];
  for (const { id, weight = 1 } of input.requirements) {
    const answer = input.answers[id] ?? { result: 'not_assessed' };
    if (answer.result !== 'not_assessed') answered++;
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
    coverage: coverageOf(answered, input.requirements.length),
  };
}

export function coverageOf(answered: number, total: number): Coverage {
  return { answered, total, ratio: total > 0 ? Math.round((answered / total) * 1000) / 1000 : 0 };
}

/** The warnings a submission with this score carries: coverage below the threshold. */
export function submissionWarnings(
  score: Pick<ScoreResult, 'coverage'>,
  threshold = COVERAGE_WARNING_THRESHOLD,
): SubmissionWarning[] {
  const { answered, total, ratio } = score.coverage;
  if (total === 0 || ratio >= threshold) return [];
  const percent = (value: number) => `${Math.round(value * 1000) / 10}%`;
  return [
    {
      code: 'low-coverage',
      message: `Only ${answered} of ${total} requirements are answered (${percent(ratio)} coverage, below ${percent(threshold)}): the score covers those alone.`,
    },
  ];
}
