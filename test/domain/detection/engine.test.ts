import { describe, expect, it } from 'vitest';
import { createDetector, detect, resolveOverlaps } from '../../../domain/prompt-analysis/detection/engine.js';
import { redact } from '../../../domain/prompt-analysis/detection/redaction.js';

describe('the detection engine', () => {
  it('reports offsets as JavaScript string indices, whatever comes before', () => {
    const text = 'Grüße 😀 — SSN 219-45-6781';
    const [finding] = detect(text);
    expect(text.slice(finding!.start, finding!.end)).toBe('219-45-6781');
  });

  it('resolves overlapping findings to the most certain, then the longest', () => {
    const kept = resolveOverlaps([
      { entity: 'A', start: 0, end: 10, score: 0.5, rule: 'a' },
      { entity: 'B', start: 5, end: 12, score: 0.9, rule: 'b' },
      { entity: 'C', start: 12, end: 20, score: 0.4, rule: 'c' },
      { entity: 'D', start: 12, end: 16, score: 0.4, rule: 'd' },
    ]);
    expect(kept.map((f) => f.entity)).toEqual(['B', 'C']);
  });

  it("runs a client's custom patterns, with their entity and score", () => {
    const detectFor = createDetector({ customPatterns: [{ entity: 'PATIENT_ID', pattern: 'PT-\\d{6}', score: 0.9 }] });
    expect(detectFor('Chart PT-004211 reviewed')).toEqual([
      { entity: 'PATIENT_ID', start: 6, end: 15, score: 0.9, rule: 'custom.PATIENT_ID' },
    ]);
  });

  it('runs patterns that would backtrack catastrophically elsewhere, in linear time', () => {
    const detectFor = createDetector({ customPatterns: [{ entity: 'EVIL', pattern: '(a+)+$', score: 0.5 }] });
    // On a backtracking engine this input takes longer than the age of the universe; here it simply does not match.
    expect(detectFor(`${'a'.repeat(50_000)}!`)).toEqual([]);
  });

  it('gets through hostile inputs: long digit runs, a sea of "@", unterminated PEM armour, endless tokens', () => {
    const hostile = [
      '1-'.repeat(40_000),
      '1 '.repeat(40_000),
      'a@'.repeat(40_000),
      '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(2_000),
      'aB3'.repeat(30_000),
      'http://'.repeat(10_000),
      'Mr. Ab '.repeat(10_000),
    ];
    for (const text of hostile) expect(Array.isArray(detect(text))).toBe(true);
  });

  it('tries phone numbers in the regions it is given', () => {
    expect(detect('call 020 7946 0958 today').filter((f) => f.entity === 'PHONE_NUMBER')).toEqual([]);
    expect(createDetector({ regions: ['GB'] })('call 020 7946 0958 today')).toContainEqual(
      expect.objectContaining({ entity: 'PHONE_NUMBER', start: 5, end: 18 }),
    );
  });
});

describe('redaction', () => {
  const text = 'SSN 219-45-6781, again 219456781, spouse 536-22-8725, card 4111 1111 1111 1111.';
  const findings = detect(text);

  it('replaces each finding with a typed placeholder, the same value keeping the same number', () => {
    expect(redact(text, findings)).toBe('SSN <US_SSN_1>, again <US_SSN_1>, spouse <US_SSN_2>, card <CREDIT_CARD_1>.');
  });

  it('can mask card numbers down to their last four digits', () => {
    expect(redact(text, findings, 'mask')).toBe(
      'SSN <US_SSN_1>, again <US_SSN_1>, spouse <US_SSN_2>, card **** **** **** 1111.',
    );
  });
});
