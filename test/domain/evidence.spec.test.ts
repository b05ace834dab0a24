import { describe, expect, it } from 'vitest';
import { evidenceDecider, freshness, type EvidenceEvent } from '../../domain/evidence/evidence.js';
import { given } from '../support/decider-spec.js';

const file = { fileName: 'review.pdf', contentType: 'application/pdf', sha256: 'a'.repeat(64), size: 1234 };
const uploaded: EvidenceEvent = {
  type: 'EvidenceUploaded',
  data: {
    evidenceId: 'e-1',
    clientId: 'c-1',
    title: 'Access review',
    validFrom: '2026-01-01T00:00:00.000Z',
    expiresAt: '2027-01-01T00:00:00.000Z',
    uploadedBy: 'u-1',
    ...file,
  },
};

describe('evidence', () => {
  it('is uploaded with a validity period that ends after it starts', () => {
    const command = {
      type: 'UploadEvidence' as const,
      evidenceId: 'e-1',
      clientId: 'c-1',
      title: ' Access review ',
      validFrom: '2026-01-01T00:00:00.000Z',
      expiresAt: '2027-01-01T00:00:00.000Z',
      uploadedBy: 'u-1',
      ...file,
    };
    given(evidenceDecider).when(command).then([uploaded]);
    given(evidenceDecider)
      .when({ ...command, expiresAt: '2025-01-01T00:00:00.000Z' })
      .thenFails('invalid', 'expiresAt');
  });

  it('maps only requirements it is not mapped to yet', () => {
    given(evidenceDecider, [uploaded])
      .when({ type: 'MapEvidence', requirementIds: ['CC6.1', 'CC6.1', 'CC6.2'] })
      .then([{ type: 'EvidenceMapped', data: { requirementIds: ['CC6.1', 'CC6.2'] } }]);
    given(evidenceDecider, [uploaded, { type: 'EvidenceMapped', data: { requirementIds: ['CC6.1'] } }])
      .when({ type: 'MapEvidence', requirementIds: ['CC6.1'] })
      .then([]);
  });

  it("maps only requirements of the client's catalogs, refusing an unknown id by name", () => {
    const catalog = new Set(['hipaa-001', 'hipaa-002']);
    given(evidenceDecider, [uploaded])
      .when({ type: 'MapEvidence', requirementIds: ['hipaa-001', 'hipaa-0xx'], catalog })
      .thenFails('invalid', 'requirementIds.1');
    given(evidenceDecider, [uploaded])
      .when({ type: 'MapEvidence', requirementIds: ['hipaa-002'], catalog })
      .then([{ type: 'EvidenceMapped', data: { requirementIds: ['hipaa-002'] } }]);
  });

  it('unmaps what it is mapped to (an old mapping to an unknown id too), and nothing else', () => {
    const catalog = new Set(['hipaa-001', 'hipaa-002']);
    const mapped: EvidenceEvent = { type: 'EvidenceMapped', data: { requirementIds: ['hipaa-001', 'hipaa-0xx'] } };
    given(evidenceDecider, [uploaded, mapped])
      .when({ type: 'UnmapEvidence', requirementIds: ['hipaa-0xx', 'hipaa-002'], catalog })
      .then([{ type: 'EvidenceUnmapped', data: { requirementIds: ['hipaa-0xx'] } }]);
    given(evidenceDecider, [uploaded, mapped])
      .when({ type: 'UnmapEvidence', requirementIds: ['hipaa-9xx'], catalog })
      .thenFails('invalid', 'requirementIds.0');
    const events: EvidenceEvent[] = [
      uploaded,
      mapped,
      { type: 'EvidenceUnmapped', data: { requirementIds: ['hipaa-0xx'] } },
    ];
    const state = events.reduce((s, e) => evidenceDecider.evolve(s, e), evidenceDecider.initialState());
    expect(state.requirementIds).toEqual(['hipaa-001']);
  });

  it('is retired once, and then maps nothing', () => {
    const retired: EvidenceEvent = { type: 'EvidenceRetired', data: { retiredBy: 'u-2' } };
    given(evidenceDecider, [uploaded]).when({ type: 'RetireEvidence', retiredBy: 'u-2' }).then([retired]);
    given(evidenceDecider, [uploaded, retired])
      .when({ type: 'MapEvidence', requirementIds: ['X'] })
      .thenFails('gone');
  });

  it('is valid, expiring within 30 days, or expired', () => {
    const state = evidenceDecider.evolve(evidenceDecider.initialState(), uploaded);
    expect(freshness(state, '2026-06-01T00:00:00.000Z')).toBe('valid');
    expect(freshness(state, '2026-12-15T00:00:00.000Z')).toBe('expiring');
    expect(freshness(state, '2027-01-01T00:00:00.000Z')).toBe('expired');
  });

  it('is retired with the reason given, kept apart from expired whatever its expiry; old retirements replay', () => {
    const retired: EvidenceEvent = { type: 'EvidenceRetired', data: { retiredBy: 'u-2', reason: 'superseded' } };
    given(evidenceDecider, [uploaded])
      .when({ type: 'RetireEvidence', retiredBy: 'u-2', reason: ' superseded ' })
      .then([retired]);
    given(evidenceDecider, [uploaded])
      .when({ type: 'RetireEvidence', retiredBy: 'u-2', reason: ' ' })
      .then([{ type: 'EvidenceRetired', data: { retiredBy: 'u-2' } }]);
    const state = [uploaded, retired].reduce((s, e) => evidenceDecider.evolve(s, e), evidenceDecider.initialState());
    expect(state.retiredReason).toBe('superseded');
    expect(freshness(state, '2026-06-01T00:00:00.000Z')).toBe('retired');
    expect(freshness(state, '2028-01-01T00:00:00.000Z')).toBe('retired');
    const old = evidenceDecider.evolve(evidenceDecider.evolve(evidenceDecider.initialState(), uploaded), {
      type: 'EvidenceRetired',
      data: { retiredBy: 'u-2' },
    });
    expect(old).toMatchObject({ status: 'retired' });
    expect(old.retiredReason).toBeUndefined();
  });
});
