import { RE2JS } from 're2js';
import { DomainError } from '../../../decider.js';
import { LongestMatcher } from '../longest-matches.js';
import type { Scan } from '../scan.js';

/** A client's own pattern, from its AI usage policy (validated by checkCustomPattern when the policy was set). */
export interface CustomPattern {
  entity: string;
  pattern: string;
  score: number;
}

/**
 * Matches a prompt's custom patterns may have. Each finding costs its analysis a few microseconds after detection
 * (the policy, the recorded event, the answer, the projections) and a pattern such as "x" matches every character:
 * beyond this, the prompt is refused rather than listed (fail closed), so that no analysis holds up the ledger.
 */
export const CUSTOM_PATTERNS_MAX_MATCHES = 1000;

/**
 * What a policy's patterns may compile to, together: the scan does at most about two steps per instruction and
 * character, so this bounds what they cost on a prompt (EMP-\d{6} is 12 instructions).
 */
export const CUSTOM_PATTERNS_MAX_INSTRUCTIONS = 1000;

/**
 * A detector is built per request from the client's policy; compiling its patterns each time would cost more than
 * running them. Compiled patterns are kept, the least recently used dropped beyond a bound.
 */
const COMPILED = new Map<string, LongestMatcher>();
const COMPILED_MAX = 1000;

function compile(pattern: string): LongestMatcher {
  let matcher = COMPILED.get(pattern);
  if (matcher) {
    COMPILED.delete(pattern);
  } else {
    matcher = new LongestMatcher(RE2JS.compile(pattern));
    if (COMPILED.size >= COMPILED_MAX) COMPILED.delete(COMPILED.keys().next().value!);
  }
  COMPILED.set(pattern, matcher);
  return matcher;
}

/**
 * Custom patterns, each in one pass over the text (see LongestMatcher): time linear in the text whatever the
 * pattern, in steps of bounded work, so that a long prompt never holds up anything else.
 */
export function customPatternRecognizer(patterns: readonly CustomPattern[]): (scan: Scan) => Generator<void> {
  const compiled = patterns.map((custom) => ({ ...custom, matcher: compile(custom.pattern) }));
  return function* (scan: Scan) {
    let matches = 0;
    for (const { entity, score, matcher } of compiled) {
      // Every match is reported, however long: passing a long one over would let what the client's pattern names
      // through unseen (fail closed). Matches do not overlap, so together they cover the prompt at most once.
      yield* matcher.steps(scan.text, Number.POSITIVE_INFINITY, (start, end) => {
        if (++matches > CUSTOM_PATTERNS_MAX_MATCHES)
          throw new DomainError(
            'invalid',
            `The client's custom patterns match more than ${CUSTOM_PATTERNS_MAX_MATCHES} times in this prompt, more than one analysis lists: send it in parts`,
            'prompt',
          );
        scan.add(entity, start, end, score, `custom.${entity}`);
      });
    }
  };
}
