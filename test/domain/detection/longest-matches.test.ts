import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import {
  LongestMatcher,
  STEP_UNITS,
  type MatchWork,
} from '../../../domain/prompt-analysis/detection/longest-matches.js';

const matchesOf = (pattern: string, text: string, maxLength = 256, work?: MatchWork) => {
  const found: Array<[number, number]> = [];
  new LongestMatcher(RE2JS.compile(pattern)).matches(text, maxLength, (start, end) => found.push([start, end]), work);
  return found;
};

/** What re2js finds, leftmost-longest, by a loop around find(): right, but quadratic on some patterns. */
const re2jsMatchesOf = (pattern: string, text: string, maxLength: number) => {
  const matcher = RE2JS.compile(pattern, RE2JS.LONGEST_MATCH).matcher(text);
  const found: Array<[number, number]> = [];
  while (matcher.find())
    if (matcher.end() > matcher.start() && matcher.end() - matcher.start() <= maxLength)
      found.push([matcher.start(), matcher.end()]);
  return found;
};

describe('the one-pass matcher of custom patterns', () => {
  it('finds what re2js finds leftmost-longest, on every kind of pattern and text', () => {
    const patterns = [
      'EMP-\\d{6}',
      '[A-Z]{2}\\d+',
      'x.*y|x',
      'a|ab|abc',
      'ab|b.*d|c.*d',
      '(a|ab)(c|bcd)(d*)',
      '\\bab\\b',
      '\\Bb',
      'x*\\b',
      '^ab',
      'ab$',
      '(?m)^a.',
      '(?m)b$',
      '(?i)ab+c',
      '(?s).b',
      'a+?b',
      '(?:x|y)*y',
      '😀a|.😀',
      '\\pL{2}',
      '\\S+@\\S+',
    ];
    const alphabet = ['a', 'b', 'c', 'd', 'x', 'y', 'A', 'B', '1', '-', ' ', '\n', '😀', 'é', '\ud83d', 'E', 'M', 'P'];
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    for (const pattern of patterns) {
      for (let trial = 0; trial < 400; trial++) {
        let text = '';
        for (let length = random(40); text.length < length;) text += alphabet[random(alphabet.length)];
        if (random(3) === 0) text = `${text.slice(0, 4)}EMP-123456${text.slice(4)}`;
        const maxLength = [4, 12, 256][random(3)]!;
        expect(matchesOf(pattern, text, maxLength), `/${pattern}/ on ${JSON.stringify(text)}`).toEqual(
          re2jsMatchesOf(pattern, text, maxLength),
        );
      }
    }
  });

  it('passes over a match longer than the limit whole, and goes on after it', () => {
    expect(matchesOf('[A-Z]{2}\\d+', `AB${'1'.repeat(20)} CD12`, 10)).toEqual([[23, 27]]);
  });

  it('does at most two steps per instruction and character, whatever the pattern', () => {
    const text = `${'x'.repeat(5_000)}${'ab1 '.repeat(1_000)}`;
    for (const pattern of ['x.*y|x', '[xy]{880}x', '(?:[a-z]|b){400}', '(?:a|aa|aaa)*b', '(x+x+)+y', '\\w+\\b']) {
      const work = { units: 0 };
      matchesOf(pattern, text, 256, work);
      const size = new LongestMatcher(RE2JS.compile(pattern)).size;
      expect(work.units, pattern).toBeLessThanOrEqual((2 * size + 3) * text.length);
    }
  });

  it('works in steps of bounded work', () => {
    const matcher = new LongestMatcher(RE2JS.compile('[xy]{880}x'));
    const work = { units: 0 };
    const steps = matcher.steps('x'.repeat(20_000), 256, () => {}, work);
    let longest = 0;
    let count = 0;
    for (let before = 0; !steps.next().done; before = work.units, count++)
      longest = Math.max(longest, work.units - before);
    expect(count).toBeGreaterThan(100);
    expect(longest).toBeLessThanOrEqual(STEP_UNITS + 2 * matcher.size + 3);
  });
});
