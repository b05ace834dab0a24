import { describe, it } from 'vitest';
import { evidenceFileClaimDecider, type EvidenceFileClaimEvent } from '../../domain/evidence/file-claim.js';
import { given } from '../support/decider-spec.js';

const file = { clientId: 'c-1', sha256: 'a'.repeat(64) };
const claimed = (evidenceId: string): EvidenceFileClaimEvent => ({
  type: 'EvidenceFileClaimed',
  data: { ...file, evidenceId, claimedBy: 'u-1' },
});
const claim = (evidenceId: string, retiredHolder?: string) => ({
  type: 'ClaimEvidenceFile' as const,
  ...file,
  evidenceId,
  claimedBy: 'u-1',
  retiredHolder,
});

describe('a file claimed as evidence of a client', () => {
  it('is claimed by the first upload, and refused to the next while its holder holds it', () => {
    given(evidenceFileClaimDecider)
      .when(claim('e-1'))
      .then([claimed('e-1')]);
    given(evidenceFileClaimDecider, [claimed('e-1')])
      .when(claim('e-2'))
      .thenFails('conflict', 'file');
    given(evidenceFileClaimDecider, [claimed('e-1')])
      .when(claim('e-1'))
      .then([]);
  });

  it('is claimed again once its holder is retired, but not over a holder that claimed since', () => {
    given(evidenceFileClaimDecider, [claimed('e-1')])
      .when(claim('e-2', 'e-1'))
      .then([claimed('e-2')]);
    given(evidenceFileClaimDecider, [claimed('e-1'), claimed('e-2')])
      .when(claim('e-3', 'e-1'))
      .thenFails('conflict', 'file');
  });
});
