import { DomainError, type Decider, type DomainEvent } from '../decider.js';
import type { ViolationRecordedData } from '../violations/violation.js';

/**
 * Evidence that expired while a submitted assessment relies on it: the assessment's result now rests on a stale
 * document. Recorded once per piece of evidence, when the watch notices (the clock arrives in the command).
 */
export type EvidenceExpiryEvent = DomainEvent<'ViolationRecorded', ViolationRecordedData>;

export interface RecordEvidenceExpiry {
  type: 'RecordEvidenceExpiry';
  evidenceId: string;
  clientId: string;
  title: string;
  expiresAt: string;
  assessmentIds: string[];
  now: string;
}

export const evidenceExpiryDecider: Decider<RecordEvidenceExpiry, EvidenceExpiryEvent, { recorded: boolean }> = {
  initialState: () => ({ recorded: false }),
  decide(command, state) {
    if (state.recorded) return [];
    if (command.expiresAt > command.now)
      throw new DomainError('invalid', 'The evidence has not expired yet', 'expiresAt');
    if (command.assessmentIds.length === 0)
      throw new DomainError('invalid', 'No submitted assessment cites this evidence', 'assessmentIds');
    const assessments = [...new Set(command.assessmentIds)].sort();
    return [
      {
        type: 'ViolationRecorded',
        data: {
          kind: 'evidence-expired',
          action: 'warn',
          severity: 'high',
          clientId: command.clientId,
          aiServiceId: null,
          analysisId: null,
          evidenceId: command.evidenceId,
          assessmentIds: assessments,
          entityCounts: {},
          reasons: [
            `Evidence "${command.title}" expired on ${command.expiresAt.slice(0, 10)} while ${assessments.length === 1 ? 'a submitted assessment cites' : `${assessments.length} submitted assessments cite`} it`,
          ],
        },
      },
    ];
  },
  evolve: () => ({ recorded: true }),
};

/** The stream of one piece of evidence's expiry: written once, by the watch that found it expired. */
export const evidenceExpiryStream = (tenantId: string, evidenceId: string): string =>
  `${tenantId}/evidence-expiry/${evidenceId}`;
