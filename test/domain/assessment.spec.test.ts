import { describe, expect, it } from 'vitest';
import { assessmentDecider, type AssessmentEvent } from '../../domain/assessments/assessment.js';
import { scoreAssessment, submissionWarnings } from '../../domain/assessments/scoring.js';
import { given } from '../support/decider-spec.js';

const requirements = ['r1', 'r2', 'r3', 'r4', 'r5'].map((id) => ({ id }));
const percent = { min: 0, max: 100 };
const at = '2026-06-01T00:00:00.000Z';

describe('compliance score', () => {
  it('maps results without a score to 1, 0.5 and 0, and leaves out not-applicable and not-assessed', () => {
    const result = scoreAssessment({
      requirements,
      answers: {
        r1: { result: 'compliant' },
        r2: { result: 'partially_compliant' },
        r3: { result: 'non_compliant' },
        r4: { result: 'not_applicable' },
      },
      scale: percent,
      evidenceExpiry: {},
      at,
    });
    expect(result).toEqual({
      score: 50,
      progress: 0.75,
      assessed: 3,
      assessable: 4,
      flagged: [],
      coverage: { answered: 4, total: 5, ratio: 0.8 },
    });
  });

  it('normalises numeric scores on the framework scale and weights them', () => {
    const result = scoreAssessment({
      requirements: [
        { id: 'a', weight: 3 },
        { id: 'b', weight: 1 },
      ],
      answers: { a: { result: 'compliant', score: 4 }, b: { result: 'non_compliant', score: 0 } },
      scale: { min: 0, max: 4 },
      evidenceExpiry: {},
      at,
    });
    expect(result.score).toBe(3);
  });

  it('gives no score when nothing is scored', () => {
    expect(scoreAssessment({ requirements, answers: {}, scale: percent, evidenceExpiry: {}, at })).toMatchObject({
      score: null,
      progress: 0,
    });
  });

  it('counts a compliant requirement whose evidence has all expired as partially compliant, and flags it', () => {
    const result = scoreAssessment({
      requirements: [{ id: 'a' }, { id: 'b' }],
      answers: {
        a: { result: 'compliant', evidenceIds: ['old', 'older'] },
        b: { result: 'compliant', evidenceIds: ['old', 'fresh'] },
      },
      scale: percent,
      evidenceExpiry: {
        old: '2026-01-01T00:00:00.000Z',
        older: '2025-01-01T00:00:00.000Z',
        fresh: '2027-01-01T00:00:00.000Z',
      },
      at,
    });
    expect(result).toMatchObject({ score: 75, flagged: ['a'] });
  });
});

describe('assessment', () => {
  const started: AssessmentEvent = {
    type: 'AssessmentStarted',
    data: { assessmentId: 'a-1', clientId: 'c-1', frameworkId: 'soc2', catalogVersion: 'v1', title: 'SOC 2 readiness' },
  };
  const assess = {
    type: 'AssessRequirement' as const,
    requirementId: 'CC6.1',
    result: 'compliant' as const,
    score: 90,
    note: null,
    evidenceIds: [],
    knownRequirement: true,
    scale: percent,
  };

  it('records a result for a requirement of its framework, on the framework scale', () => {
    given(assessmentDecider, [started])
      .when(assess)
      .then([
        {
          type: 'RequirementAssessed',
          data: { requirementId: 'CC6.1', result: 'compliant', score: 90, note: null, evidenceIds: [] },
        },
      ]);
    given(assessmentDecider, [started])
      .when({ ...assess, knownRequirement: false })
      .thenFails('invalid', 'requirementId');
    given(assessmentDecider, [started])
      .when({ ...assess, score: 140 })
      .thenFails('invalid', 'score');
    given(assessmentDecider, [started])
      .when({ ...assess, result: 'not_applicable' })
      .thenFails('invalid', 'score');
  });

  it('is immutable once submitted', () => {
    const score = {
      score: 90,
      progress: 1,
      assessed: 1,
      assessable: 1,
      flagged: [],
      coverage: { answered: 1, total: 1, ratio: 1 },
    };
    const submitted: AssessmentEvent = {
      type: 'AssessmentSubmitted',
      data: { ...score, submittedBy: 'u', submittedAt: at, warnings: [] },
    };
    given(assessmentDecider, [started])
      .when({ type: 'SubmitAssessment', submittedBy: 'u', submittedAt: at, score })
      .then([submitted]);
    given(assessmentDecider, [started, submitted]).when(assess).thenFails('conflict');
    given(assessmentDecider, [started, submitted])
      .when({ type: 'SubmitAssessment', submittedBy: 'u', submittedAt: at, score })
      .thenFails('conflict');
  });

  it('records a low-coverage warning in the event of a submission that answers too little of the catalog', () => {
    const score = {
      score: 62.5,
      progress: 0.032,
      assessed: 4,
      assessable: 125,
      flagged: [],
      coverage: { answered: 4, total: 125, ratio: 0.032 },
    };
    given(assessmentDecider, [started])
      .when({ type: 'SubmitAssessment', submittedBy: 'u', submittedAt: at, score })
      .then([
        {
          type: 'AssessmentSubmitted',
          data: {
            ...score,
            submittedBy: 'u',
            submittedAt: at,
            warnings: [
              {
                code: 'low-coverage',
                message:
                  'Only 4 of 125 requirements are answered (3.2% coverage, below 80%): the score covers those alone.',
              },
            ],
          },
        },
      ]);
  });

  it('scores with its coverage: answered (not-applicable included) of every requirement in the catalog', () => {
    const requirements = Array.from({ length: 125 }, (_, i) => ({ id: `r-${i}` }));
    const result = scoreAssessment({
      requirements,
      answers: {
        'r-0': { result: 'compliant' },
        'r-1': { result: 'compliant' },
        'r-2': { result: 'partially_compliant' },
        'r-3': { result: 'non_compliant' },
        'r-4': { result: 'not_applicable' },
      },
      scale: { min: 0, max: 100 },
      evidenceExpiry: {},
      at,
    });
    expect(result).toMatchObject({ score: 62.5, coverage: { answered: 5, total: 125, ratio: 0.04 } });
    expect(submissionWarnings(result)).toHaveLength(1);
    expect(submissionWarnings({ coverage: { answered: 100, total: 125, ratio: 0.8 } })).toEqual([]);
  });
});
