import { DomainError, type Decider, type DomainEvent } from '../decider.js';
import type { FrameworkId } from '../frameworks/catalog.js';
import {
  submissionWarnings,
  type Coverage,
  type RequirementAnswer,
  type Result,
  type ScoreResult,
  type SubmissionWarning,
} from './scoring.js';

/** An assessment of one client against one framework, at the catalog version pinned when it was started. */
export type AssessmentEvent =
  | DomainEvent<
      'AssessmentStarted',
      { assessmentId: string; clientId: string; frameworkId: FrameworkId; catalogVersion: string; title: string }
    >
  | DomainEvent<
      'RequirementAssessed',
      { requirementId: string; result: Result; score: number | null; note: string | null; evidenceIds: string[] }
    >
  | DomainEvent<
      'AssessmentSubmitted',
      Omit<ScoreResult, 'coverage'> & {
        submittedBy: string;
        submittedAt: string;
        /** Recorded since coverage was scored (absent from older events). */
        coverage?: Coverage;
        /** What the submission warned about, such as coverage below the threshold (absent from older events). */
        warnings?: SubmissionWarning[];
      }
    >;

/** An assessment's stream. It begins with the tenant: an id from another tenant names a stream that does not exist. */
export const assessmentStream = (tenantId: string, assessmentId: string): string =>
  `${tenantId}/assessment/${assessmentId}`;

export type AssessmentCommand =
  | {
      type: 'StartAssessment';
      assessmentId: string;
      clientId: string;
      frameworkId: FrameworkId;
      catalogVersion: string;
      title: string;
    }
  | {
      type: 'AssessRequirement';
      requirementId: string;
      result: Result;
      score: number | null;
      note: string | null;
      evidenceIds: string[];
      knownRequirement: boolean;
      scale: { min: number; max: number };
    }
  | { type: 'SubmitAssessment'; submittedBy: string; submittedAt: string; score: ScoreResult };

export interface AssessmentState {
  status: 'none' | 'open' | 'submitted';
  clientId?: string;
  frameworkId?: FrameworkId;
  catalogVersion?: string;
  title?: string;
  answers: Record<string, RequirementAnswer & { note: string | null }>;
  result?: Omit<ScoreResult, 'coverage'> & { coverage?: Coverage; warnings?: SubmissionWarning[] };
}

export const assessmentDecider: Decider<AssessmentCommand, AssessmentEvent, AssessmentState> = {
  initialState: () => ({ status: 'none', answers: {} }),

  decide(command, state) {
    switch (command.type) {
      case 'StartAssessment': {
        if (state.status !== 'none') throw new DomainError('conflict', 'The assessment already exists');
        if (!command.title.trim()) throw new DomainError('invalid', 'An assessment needs a title', 'title');
        const { type: _type, ...started } = command;
        return [{ type: 'AssessmentStarted', data: { ...started, title: started.title.trim() } }];
      }
      case 'AssessRequirement': {
        if (state.status === 'none') throw new DomainError('not_found', 'No such assessment');
        if (state.status === 'submitted') throw new DomainError('conflict', 'A submitted assessment cannot change');
        if (!command.knownRequirement)
          throw new DomainError(
            'invalid',
            `The framework has no requirement ${command.requirementId}`,
            'requirementId',
          );
        if (command.score !== null && (command.score < command.scale.min || command.score > command.scale.max)) {
          throw new DomainError(
            'invalid',
            `A score is between ${command.scale.min} and ${command.scale.max} on this framework's scale`,
            'score',
          );
        }
        if (command.score !== null && (command.result === 'not_applicable' || command.result === 'not_assessed')) {
          throw new DomainError('invalid', `A ${command.result} requirement takes no score`, 'score');
        }
        const { requirementId, result, score, note, evidenceIds } = command;
        return [
          {
            type: 'RequirementAssessed',
            data: { requirementId, result, score, note, evidenceIds: [...new Set(evidenceIds)] },
          },
        ];
      }
      case 'SubmitAssessment': {
        if (state.status === 'none') throw new DomainError('not_found', 'No such assessment');
        if (state.status === 'submitted') throw new DomainError('conflict', 'The assessment was already submitted');
        return [
          {
            type: 'AssessmentSubmitted',
            data: {
              ...command.score,
              submittedBy: command.submittedBy,
              submittedAt: command.submittedAt,
              warnings: submissionWarnings(command.score),
            },
          },
        ];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'AssessmentStarted': {
        const { clientId, frameworkId, catalogVersion, title } = event.data;
        return { ...state, status: 'open', clientId, frameworkId, catalogVersion, title };
      }
      case 'RequirementAssessed': {
        const { requirementId, ...answer } = event.data;
        return { ...state, answers: { ...state.answers, [requirementId]: answer } };
      }
      case 'AssessmentSubmitted': {
        const { submittedBy: _by, submittedAt: _at, ...result } = event.data;
        return { ...state, status: 'submitted', result };
      }
    }
  },
};
