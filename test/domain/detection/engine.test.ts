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

  describe('custom patterns', () => {
    // What detection reads of the text, counted where re2js and the engine's own scanner read it.
    function charactersRead(run: () => void): number {
      const charCodeAt = String.prototype.charCodeAt;
      let count = 0;
      String.prototype.charCodeAt = function (this: string, index: number) {
        count++;
        return charCodeAt.call(this, index);
      };
      try {
        run();
      } finally {
        String.prototype.charCodeAt = charCodeAt;
      }
      return count;
    }

    it('run in one pass over the text, never a rescan after each match, whatever the pattern', () => {
      // After each short match a loop around find() reads on to the end of the text to rule out the longer
      // alternative: n + (n-1) + … characters, 100 times as many for 10 times the text.
      for (const pattern of ['x{16}.*y|x{16}', 'x{16}(?:x|z)*y|x{16,20}', '(?s).{16}.+y|.{16}']) {
        const detectFor = createDetector({ customPatterns: [{ entity: 'HOSTILE', pattern, score: 0.5 }] });
        const small = charactersRead(() => detectFor('x'.repeat(1_000)));
        const large = charactersRead(() => detectFor('x'.repeat(10_000)));
        expect(small, pattern).toBeGreaterThan(0);
        expect(large / small, pattern).toBeLessThan(15);
      }
    });

    it('refuse a prompt they match more than 1,000 times, rather than list it (fail closed)', () => {
      const detectFor = createDetector({ customPatterns: [{ entity: 'EVERY_X', pattern: 'x', score: 0.5 }] });
      expect(detectFor('x'.repeat(1_000))).toHaveLength(1_000);
      expect(() => detectFor('x'.repeat(1_001))).toThrow(
        expect.objectContaining({ code: 'invalid', field: 'prompt', message: expect.stringMatching(/more than 1000/) }),
      );
    });

    it('find each identifier whole: the longest match from the leftmost start, however long', () => {
      const detectFor = createDetector({
        customPatterns: [
          { entity: 'EMPLOYEE_ID', pattern: 'EMP-\\d{6}', score: 0.9 },
          { entity: 'CASE_ID', pattern: '[A-Z]{2}\\d+', score: 0.9 },
          // The longer alternative wins wherever it is written: the whole identifier is found.
          { entity: 'TICKET', pattern: 'T-\\d{4}|T-\\d{4}-\\d{2}', score: 0.9 },
        ],
      });
      const text = `Staff EMP-004211, case CA1234 and XY98765, ticket T-1234-56; ZZ${'9'.repeat(300)}.`;
      const custom = detectFor(text).filter((f) => f.rule.startsWith('custom.'));
      // ZZ and 300 digits is what the client's pattern names too: a long match is not let through unseen.
      expect(custom.map((f) => [f.entity, text.slice(f.start, f.end)])).toEqual([
        ['EMPLOYEE_ID', 'EMP-004211'],
        ['CASE_ID', 'CA1234'],
        ['CASE_ID', 'XY98765'],
        ['TICKET', 'T-1234-56'],
        ['CASE_ID', `ZZ${'9'.repeat(300)}`],
      ]);
    });
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
      'Ab Cd, '.repeat(10_000),
      '1 Ab St '.repeat(10_000),
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
