import { RE2JS } from 're2js';
import type { Scan } from '../scan.js';
import type { TextRecognizer } from './recognizer.js';

/** A client's own pattern, from its AI usage policy (validated by checkCustomPattern when the policy was set). */
export interface CustomPattern {
  entity: string;
  pattern: string;
  score: number;
}

/** Longest match a custom pattern may report: identifiers, not paragraphs. */
const MAX_MATCH = 256;

/**
 * A detector is built per request from the client's policy; compiling its patterns each time would cost more than
 * running them. Compiled patterns are kept, the least recently used dropped beyond a bound.
 */
const COMPILED = new Map<string, RE2JS>();
const COMPILED_MAX = 1000;

function compile(pattern: string): RE2JS {
  let regex = COMPILED.get(pattern);
  if (regex) {
    COMPILED.delete(pattern);
  } else {
    regex = RE2JS.compile(pattern);
    if (COMPILED.size >= COMPILED_MAX) COMPILED.delete(COMPILED.keys().next().value!);
  }
  COMPILED.set(pattern, regex);
  return regex;
}

/**
 * Custom patterns run on RE2 (re2js): time linear in the text whatever the pattern, so that a client's pattern can
 * never stall analysis the way a backtracking engine can ("(a+)+$").
 */
export function customPatternRecognizer(patterns: readonly CustomPattern[]): TextRecognizer {
  const compiled = patterns.map((custom) => ({ ...custom, regex: compile(custom.pattern) }));
  return (scan: Scan) => {
    for (const { entity, score, regex } of compiled) {
      const matcher = regex.matcher(scan.text);
      while (matcher.find()) {
        const [start, end] = [matcher.start(), matcher.end()];
        if (end > start && end - start <= MAX_MATCH) scan.add(entity, start, end, score, `custom.${entity}`);
      }
    }
  };
}
