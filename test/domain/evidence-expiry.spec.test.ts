import { describe, it } from 'vitest';
import {
  evidenceExpiryDecider,
  type EvidenceExpiryEvent,
  type RecordEvidenceExpiry,
} from '../../domain/evidence/expiry-violation.js';
import { given } from '../support/decider-spec.js';

const command: RecordEvidenceExpiry = {
  type: 'RecordEvidenceExpiry',
  evidenceId: 'e-1',
  clientId: 'c-1',
  title: 'Pen test 2025',
  expiresAt: '2025-06-30T00:00:00.000Z',
  assessmentIds: ['a-2', 'a-1', 'a-2'],
  now: '2026-11-22T00:00:00.000Z',
};
const recorded: EvidenceExpiryEvent = {
  type: 'ViolationRecorded',
  data: {
    kind: 'evidence-expired',
    action: 'warn',
    severity: 'high',
    clientId: 'c-1',
    aiServiceId: null,
    analysisId: null,
    evidenceId: 'e-1',
    assessmentIds: ['a-1', 'a-2'],
    entityCounts: {},
    reasons: ['Evidence "Pen test 2025" expired on 2025-06-30 while 2 submitted assessments cite it'],
  },
};

describe('expired evidence under a submitted assessment', () => {
  it('is recorded as a violation naming the assessments, once', () => {
    given(evidenceExpiryDecider).when(command).then([recorded]);
    given(evidenceExpiryDecider, [recorded]).when(command).then([]);
  });

  it('is not recorded before the expiry or without a submitted assessment', () => {
    given(evidenceExpiryDecider)
      .when({ ...command, now: '2025-06-29T23:59:59.000Z' })
      .thenFails('invalid', 'expiresAt');
    given(evidenceExpiryDecider)
      .when({ ...command, assessmentIds: [] })
      .thenFails('invalid', 'assessmentIds');
  });
});
