import { DomainError, type Decider, type DomainEvent } from '../decider.js';

/**
 * A file (by SHA-256) as evidence of one client: which evidence holds it. Uploads claim it by appending at the
 * revision they read, so that of uploads of the same file that race, one claims it and the others see its holder.
 * A holder that has been retired no longer holds the file: the next upload claims it (the caller, which knows the
 * holder's status, says so). Evidence recorded before claims existed has no claim stream; the caller looks for it.
 */
export type EvidenceFileClaimEvent = DomainEvent<
  'EvidenceFileClaimed',
  { clientId: string; sha256: string; evidenceId: string; claimedBy: string }
>;

export interface ClaimEvidenceFile {
  type: 'ClaimEvidenceFile';
  clientId: string;
  sha256: string;
  evidenceId: string;
  claimedBy: string;
  /**
   * The holder the caller found retired (it looked its evidence up): that one no longer holds the file. Any other
   * holder (one that claimed since) still does.
   */
  retiredHolder?: string;
}

export interface EvidenceFileClaimState {
  /** The evidence that claimed the file last. */
  holder?: string;
}

/** The claim stream of a file among a client's evidence, under its tenant. */
export const evidenceFileClaimStream = (tenantId: string, clientId: string, sha256: string): string =>
  `${tenantId}/evidence-file/${clientId}:${sha256}`;

export const evidenceFileClaimDecider: Decider<ClaimEvidenceFile, EvidenceFileClaimEvent, EvidenceFileClaimState> = {
  initialState: () => ({}),
  decide(command, state) {
    if (state.holder === command.evidenceId) return [];
    if (state.holder && state.holder !== command.retiredHolder)
      throw new DomainError('conflict', `The file is held by evidence ${state.holder}`, 'file');
    const { type: _type, retiredHolder: _retired, ...claim } = command;
    return [{ type: 'EvidenceFileClaimed', data: claim }];
  },
  evolve: (_state, event) => ({ holder: event.data.evidenceId }),
};
