import type { Action } from '../ai-governance/client-ai-governance.js';
import { DomainError, type Decider, type DomainEvent } from '../decider.js';
import type { ViolationRecordedData } from '../violations/violation.js';
import { createDetector, ENGINE_VERSION, type Detector } from './detection/engine.js';
import type { Finding } from './detection/entities.js';
import { redact, type RedactionStyle } from './detection/redaction.js';
import { evaluate, type AssessedFinding, type PolicyContext } from './usage-policy.js';

/**
 * One prompt on its way to an AI service: what was in it, and what the client's policy decided. The events hold
 * entity types, offsets, scores and counts, never the prompt or the values found in it; the prompt itself is kept
 * only as a keyed hash (HMAC under a per-tenant key), so that the same prompt can be recognised later.
 */
export interface PromptAnalyzedData {
  analysisId: string;
  clientId: string;
  aiServiceId: string;
  /** A keyed hash of the caller's user reference, if one was given. */
  userRefHash: string | null;
  conversationId: string | null;
  promptHash: string;
  promptLength: number;
  decision: Action;
  findings: AssessedFinding[];
  /** How many of each entity, whatever the action. */
  entityCounts: Record<string, number>;
  reasons: string[];
  serviceApproved: boolean;
  engineVersion: number;
}

export type { ViolationRecordedData };

export type PromptAnalysisEvent =
  DomainEvent<'PromptAnalyzed', PromptAnalyzedData> | DomainEvent<'ViolationRecorded', ViolationRecordedData>;

export interface AnalyzePrompt {
  type: 'AnalyzePrompt';
  analysisId: string;
  clientId: string;
  aiServiceId: string;
  /** The text itself: decided on here, never recorded. */
  prompt: string;
  /**
   * What the engine found in it (promptDetector for the context): run by the caller, in steps, so that a long prompt
   * holds up no other request.
   */
  findings: readonly Finding[];
  promptHash: string;
  userRefHash: string | null;
  /** The caller's user reference itself: recorded only in violations, sealed (violationPersonalData). */
  userRef?: string | null;
  conversationId: string | null;
  /** The longest prompt accepted, in characters (the API's configured cap). */
  maxLength: number;
  context: PolicyContext;
}

/** The actions that change the text sent on: `warn` and `allow` leave a finding as it was written. */
export const CHANGES_TEXT: ReadonlySet<Action> = new Set<Action>(['redact', 'block']);

/** The prompt as it may be sent on: only the findings the policy redacted or blocked are replaced. */
export function redactedPrompt(
  prompt: string,
  findings: readonly AssessedFinding[],
  style: RedactionStyle = 'placeholder',
): string {
  return redact(
    prompt,
    findings.filter((finding) => CHANGES_TEXT.has(finding.action)),
    style,
  );
}

/** One analysis's stream, under its tenant. */
export const promptAnalysisStream = (tenantId: string, analysisId: string): string =>
  `${tenantId}/prompt-analysis/${analysisId}`;

export interface PromptAnalysisState {
  analyzed: boolean;
}

function countBy(findings: readonly AssessedFinding[], keep: (f: AssessedFinding) => boolean): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const finding of findings) if (keep(finding)) counts[finding.entity] = (counts[finding.entity] ?? 0) + 1;
  return counts;
}

/** Refuses an empty prompt, or one longer than the API accepts: before anything is detected in it. */
export function checkPrompt(prompt: string, maxLength: number): void {
  if (prompt.length === 0) throw new DomainError('invalid', 'The prompt is empty', 'prompt');
  if (prompt.length > maxLength)
    throw new DomainError(
      'invalid',
      `A prompt is at most ${maxLength} characters; this one has ${prompt.length}`,
      'prompt',
    );
}

/** The detector for a client's settings: its regions and its own patterns. */
export function promptDetector(context: PolicyContext): Detector {
  return createDetector({
    regions: context.policy?.regions,
    frameworks: context.frameworks,
    customPatterns: context.policy?.customPatterns,
  });
}

export const promptAnalysisDecider: Decider<AnalyzePrompt, PromptAnalysisEvent, PromptAnalysisState> = {
  initialState: () => ({ analyzed: false }),

  decide(command, state) {
    if (state.analyzed) throw new DomainError('conflict', 'This analysis was already recorded');
    checkPrompt(command.prompt, command.maxLength);
    const evaluation = evaluate(command.findings, command.context);
    const { analysisId, clientId, aiServiceId } = command;
    const events: PromptAnalysisEvent[] = [
      {
        type: 'PromptAnalyzed',
        data: {
          analysisId,
          clientId,
          aiServiceId,
          userRefHash: command.userRefHash,
          conversationId: command.conversationId,
          promptHash: command.promptHash,
          promptLength: command.prompt.length,
          decision: evaluation.decision,
          findings: evaluation.findings,
          entityCounts: countBy(evaluation.findings, () => true),
          reasons: evaluation.reasons,
          serviceApproved: command.context.service.registered && command.context.service.approval === 'approved',
          engineVersion: ENGINE_VERSION,
        },
      },
    ];
    for (const violation of evaluation.violations) {
      events.push({
        type: 'ViolationRecorded',
        data: {
          analysisId,
          clientId,
          aiServiceId,
          ...violation,
          entityCounts:
            violation.kind === 'sensitive-data' ? countBy(evaluation.findings, (f) => f.action !== 'allow') : {},
          reasons: evaluation.reasons,
          ...(command.userRef && command.userRefHash
            ? { userRefHash: command.userRefHash, userRef: command.userRef }
            : {}),
        },
      });
    }
    return events;
  },

  evolve: () => ({ analyzed: true }),
};
