import type { Action } from '../ai-governance/client-ai-governance.js';
import type { DomainEvent, PersonalDataFields } from '../decider.js';
import type { Severity, ViolationKind } from '../prompt-analysis/usage-policy.js';

/**
 * A violation, as recorded in the log and fanned out to integrators: a prompt that carried sensitive data, a prompt
 * to an AI service the client has not approved, or evidence that expired while a submitted assessment relies on it.
 */
export interface ViolationRecordedData {
  kind: ViolationKind;
  action: Exclude<Action, 'allow'>;
  severity: Severity;
  clientId: string;
  /** For prompt violations: the service and the analysis; null otherwise. */
  aiServiceId: string | null;
  analysisId: string | null;
  /** For expired evidence: which, and the submitted assessments that cite it. */
  evidenceId?: string;
  assessmentIds?: string[];
  /** Entity types the policy acted on, with counts; empty for other kinds. */
  entityCounts: Record<string, number>;
  reasons: string[];
  /**
   * For prompt violations: who sent the prompt, as the caller named them (`userRef`), sealed under a data subject of
   * its own (`userRefHash`) so that it can be erased. Absent from violations recorded before it was kept.
   */
  userRefHash?: string | null;
  userRef?: string;
}

/** Recorded by the aggregate the violation arose in: a prompt analysis, or an evidence-expiry watch. */
export type ViolationEvent = DomainEvent<'ViolationRecorded', ViolationRecordedData>;

/** The user reference in a violation is personal data: sealed under its own subject, the reference's keyed hash. */
export const violationPersonalData: Record<string, PersonalDataFields> = {
  ViolationRecorded: { subject: 'userRefHash', fields: ['userRef'] },
};
